package embedetcd

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maintainer compacts old history and defragments the backend when much
// of it is free, so the data dir stays bounded under write storms, and
// logs the NOSPACE alarm when the quota is reached.
type maintainer struct {
	client    *clientv3.Client
	log       *slog.Logger
	retention time.Duration // keep at most this much history by age
	keep      int64         // ... and at most this many revisions
	quota     int64

	marks []mark // revisions seen, oldest first, to find "an hour ago"
	alarm bool   // NOSPACE reported already
}

type mark struct {
	at  time.Time
	rev int64
}

func (m *maintainer) run(ctx context.Context, every time.Duration) {
	ticker := time.NewTicker(min(every, time.Minute))
	defer ticker.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			m.observe(ctx, now)
			if now.Sub(last) >= every {
				last = now
				m.once(ctx, now)
			}
		}
	}
}

// observe remembers the current revision, so that compaction by age knows
// which revision was current retention ago.
func (m *maintainer) observe(ctx context.Context, now time.Time) {
	rev, err := m.revision(ctx)
	if err != nil {
		return
	}
	m.marks = append(m.marks, mark{at: now, rev: rev})
	for len(m.marks) > 1 && now.Sub(m.marks[1].at) >= m.retention {
		m.marks = m.marks[1:]
	}
}

func (m *maintainer) revision(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := m.client.Get(ctx, "/", clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// target is the revision to compact to: everything older than retention
// goes, and never more than keep revisions stay.
func (m *maintainer) target(now time.Time, current int64) int64 {
	target := current - m.keep
	for _, mk := range m.marks {
		if now.Sub(mk.at) >= m.retention && mk.rev > target {
			target = mk.rev
		}
	}
	return min(target, current)
}

// once compacts, defragments when worth it, and reports the alarm.
func (m *maintainer) once(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	current, err := m.revision(ctx)
	if err != nil {
		return
	}
	if target := m.target(now, current); target > 1 {
		if _, err := m.client.Compact(ctx, target, clientv3.WithCompactPhysical()); err == nil {
			m.log.Debug("etcd compacted", "revision", target, "current", current)
		} else if !isCompacted(err) {
			m.log.Warn("etcd compaction failed", "revision", target, "err", err)
		}
	}
	m.defragment(ctx)
	m.reportAlarm(ctx)
}

// defragment returns free pages to the file system when at least half the
// backend (and 64 MiB) is free, or when the NOSPACE alarm is raised; after
// that the alarm is disarmed, so writes succeed again once space is back.
func (m *maintainer) defragment(ctx context.Context) {
	endpoint := m.client.Endpoints()[0]
	st, err := m.client.Status(ctx, endpoint)
	if err != nil {
		return
	}
	free := st.DbSize - st.DbSizeInUse
	alarmed := m.alarmed(ctx)
	if !alarmed && (free < 64<<20 || free*2 < st.DbSize) {
		return
	}
	if _, err := m.client.Defragment(ctx, endpoint); err != nil {
		m.log.Warn("etcd defragmentation failed", "err", err)
		return
	}
	after, err := m.client.Status(ctx, endpoint)
	if err == nil {
		m.log.Info("etcd defragmented", "size_before", st.DbSize, "size_after", after.DbSize)
	}
	if alarmed && err == nil && after.DbSize < m.quota*9/10 {
		if _, err := m.client.AlarmDisarm(ctx, &clientv3.AlarmMember{MemberID: after.Header.MemberId, Alarm: etcdserverpb.AlarmType_NOSPACE}); err == nil {
			m.log.Info("etcd NOSPACE alarm cleared: writes are accepted again", "size", after.DbSize, "quota", m.quota)
			m.alarm = false
		}
	}
}

func (m *maintainer) alarmed(ctx context.Context) bool {
	resp, err := m.client.AlarmList(ctx)
	if err != nil {
		return false
	}
	for _, a := range resp.Alarms {
		if a.Alarm == etcdserverpb.AlarmType_NOSPACE {
			return true
		}
	}
	return false
}

func (m *maintainer) reportAlarm(ctx context.Context) {
	if m.alarmed(ctx) && !m.alarm {
		m.alarm = true
		m.log.Error("etcd is out of space (NOSPACE alarm): writes fail with 507 until history is compacted and the backend defragmented, or --etcd-quota-bytes is raised",
			"quota", m.quota)
	}
}

func isCompacted(err error) bool { return errors.Is(err, rpctypes.ErrCompacted) }
