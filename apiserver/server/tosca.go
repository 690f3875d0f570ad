package server

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/tosca"
)

// maxTemplateBytes bounds a fetched TOSCA template or CSAR (and each file
// read from a CSAR).
const maxTemplateBytes = 10 << 20

// translateTosca makes an application's manifest the translation of its
// inline TOSCA template. For a template or CSAR given by URL it checks
// the URL and reports fetch: the server fetches it after the write, while
// the app is TRANSLATING. An invalid template is a 422 naming the place,
// with the original's reason INVALID_TOSCA_MANIFEST.
func translateTosca(obj api.Object) (fetch bool, err error) {
	app, ok := obj.(*api.Application)
	if !ok {
		return false, nil
	}
	raw := bytes.TrimSpace(app.Spec.Tosca)
	if string(raw) == "null" {
		app.Spec.Tosca, raw = nil, nil
	}
	if u, isCSAR := api.TemplateURL(app.Spec); u != "" {
		field := "spec.tosca"
		if isCSAR {
			field = "spec.csar"
		}
		if len(raw) > 0 && isCSAR {
			return false, invalidTosca("spec.csar", "give spec.tosca or spec.csar, not both")
		}
		if parsed, err := url.Parse(u); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			return false, invalidTosca(field, fmt.Sprintf("%q is not an http or https URL", u))
		}
		return true, nil
	}
	if len(raw) == 0 {
		return false, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return false, invalidTosca("spec.tosca", "must be a TOSCA service template (a mapping) or its URL")
	}
	manifest, err := translate(doc)
	if err != nil {
		return false, err
	}
	app.Spec.Manifest = manifest
	return false, nil
}

func invalidTosca(field, msg string) error {
	return api.FieldErrors{{Field: field, Reason: api.ReasonInvalidToscaManifest.String() + ": " + msg}}
}

// translate turns a template into manifest objects; errors name the place
// under spec.tosca.
func translate(doc map[string]any) ([]api.RawObject, error) {
	objects, err := tosca.Translate(doc)
	if e, ok := tosca.AsError(err); ok {
		field := "spec.tosca"
		if e.Path != "" {
			field += "." + e.Path
		}
		return nil, invalidTosca(field, e.Msg)
	} else if err != nil {
		return nil, err
	}
	manifest, err := api.RawObjects(objects...)
	if err != nil {
		return nil, invalidTosca("spec.tosca", err.Error())
	}
	return manifest, nil
}

// fetchTemplate fetches and translates an app's template or CSAR in the
// background (the request that created it has been answered), then
// writes the manifest and PENDING, or FAILED with the reason.
func (s *Server) fetchTemplate(namespace, name string) {
	s.background.Go(func() {
		ctx, stop := s.streamContext(context.Background()) // ends with StopStreams
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		item, err := s.store.Get(ctx, appKind, namespace, name)
		if err != nil {
			return
		}
		obj, err := item.Decode(appKind)
		if err != nil {
			return
		}
		u, isCSAR := api.TemplateURL(obj.(*api.Application).Spec)
		manifest, failure := fetchAndTranslate(ctx, s.templateClient, u, isCSAR)
		_, _, err = s.store.GuaranteedUpdate(ctx, appKind, namespace, name, 0, func(current api.Object) error {
			app := current.(*api.Application)
			if now, _ := api.TemplateURL(app.Spec); app.Status.State != api.StateTranslating || now != u {
				return errNoChange // changed meanwhile: its own fetch follows
			}
			if failure != "" {
				app.Status.State = api.StateFailed
				app.Status.Reason = &api.Reason{Code: api.ReasonInvalidToscaManifest, Message: failure}
				return nil
			}
			app.Spec.Manifest = manifest
			app.Status.State, app.Status.Reason = api.StatePending, nil
			if err := api.Validate(appKind, app); err != nil {
				// The translation does not fit the rest of the spec (say,
				// its observer schema): the app fails, saying why.
				app.Spec.Manifest = nil
				app.Status.State = api.StateFailed
				app.Status.Reason = &api.Reason{Code: api.ReasonInvalidToscaManifest, Message: err.Error()}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errNoChange) {
			s.log.Warn("TOSCA translation could not be stored", "app", namespace+"/"+name, "err", err)
		}
	})
}

// WaitBackground returns once the background fetches have ended (they end
// soon after StopStreams).
func (s *Server) WaitBackground() { s.background.Wait() }

// fetchAndTranslate downloads u and translates it; failure says why not.
func fetchAndTranslate(ctx context.Context, c *http.Client, u string, isCSAR bool) ([]api.RawObject, string) {
	data, err := download(ctx, c, u)
	if err != nil {
		return nil, err.Error()
	}
	if isCSAR {
		if data, err = csarTemplate(data); err != nil {
			return nil, fmt.Sprintf("CSAR %s: %v", u, err)
		}
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, fmt.Sprintf("%s is not a TOSCA template (YAML mapping): %v", u, err)
	}
	manifest, err := translate(doc)
	if err != nil {
		return nil, err.Error()
	}
	return manifest, ""
}

// newTemplateClient fetches templates: http and https only, at most five
// redirects, 30 s per request.
func newTemplateClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("a redirect to %s, not http or https", req.URL.Scheme)
		}
		return nil
	}}
}

func download(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxTemplateBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if len(data) > maxTemplateBytes {
		return nil, fmt.Errorf("fetch %s: larger than %d MiB", u, maxTemplateBytes>>20)
	}
	return data, nil
}

// csarTemplate is the entry template of a CSAR: the file TOSCA-Metadata/
// TOSCA.meta names in Entry-Definitions, or else its one top-level YAML
// file.
func csarTemplate(data []byte) ([]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a ZIP archive: %w", err)
	}
	read := func(name string) ([]byte, error) {
		f, err := z.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTemplateBytes+1))
		if err == nil && len(b) > maxTemplateBytes {
			err = fmt.Errorf("%s is larger than %d MiB", name, maxTemplateBytes>>20)
		}
		return b, err
	}
	if meta, err := read("TOSCA-Metadata/TOSCA.meta"); err == nil {
		for _, line := range strings.Split(string(meta), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Entry-Definitions" {
				entry := path.Clean(strings.TrimSpace(v))
				b, err := read(entry)
				if err != nil {
					return nil, fmt.Errorf("Entry-Definitions %s: %w", entry, err)
				}
				return b, nil
			}
		}
		return nil, errors.New("TOSCA-Metadata/TOSCA.meta has no Entry-Definitions")
	}
	var top []string
	for _, f := range z.File {
		if !strings.Contains(f.Name, "/") && (strings.HasSuffix(f.Name, ".yaml") || strings.HasSuffix(f.Name, ".yml")) {
			top = append(top, f.Name)
		}
	}
	if len(top) != 1 {
		return nil, fmt.Errorf("no TOSCA-Metadata/TOSCA.meta and %d top-level YAML files (want one)", len(top))
	}
	return read(top[0])
}

// ResumeTranslations fetches again the templates of the apps left
// TRANSLATING (a restart cut their fetch short).
func (s *Server) ResumeTranslations(ctx context.Context) error {
	opts := store.ListOptions{Limit: 500}
	for {
		page, err := s.store.List(ctx, appKind, "", opts)
		if err != nil {
			return err
		}
		objs, err := page.Objects(appKind)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			if app := obj.(*api.Application); app.Status.State == api.StateTranslating && api.FetchesTemplate(app.Spec) {
				s.fetchTemplate(app.Metadata.Namespace, app.Metadata.Name)
			}
		}
		if page.Continue == "" {
			return nil
		}
		opts.Continue = page.Continue
	}
}
