package application

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/krake-go/krake/apiserver/client"
)

func ignoreNotFound(err error) error {
	if client.IsNotFound(err) {
		return nil
	}
	return err
}

// isUnreachable reports an error of the cluster's network: refused,
// timed out, a name that does not resolve, a deadline passed.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	var netErr net.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &dnsErr) || (errors.As(err, &netErr) && netErr.Timeout())
}
