// SPDX-License-Identifier: Apache-2.0

// Command pyroscope-go-style uploads one profile to a Pyroscope /ingest
// endpoint with the request github.com/grafana/pyroscope-go (v1.4,
// upstream/remote) sends: a multipart/form-data body whose file parts are
// "profile" (filename profile.pprof, a gzip pprof) and, for heap-like
// profiles, "sample_type_config" (sample_type_config.json); the metadata in
// the query: name=app{sorted tags}, from/until in nanoseconds, spyName=gospy,
// sampleRate, units, aggregationType. It uses only the standard library so
// it runs with GO111MODULE=off and no module proxy; the real SDK cannot be
// fetched here.
//
// It exits 0 when the answer has the expected status (-want, 200 by default)
// and, for 200, an empty body - the SDK treats anything else as a failure.
// Used by tests/e2e/pprof_receiver.sh.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sampleType is one entry of the SDK's sample_type_config part.
type sampleType struct {
	Units       string `json:"units,omitempty"`
	Aggregation string `json:"aggregation,omitempty"`
	DisplayName string `json:"display-name,omitempty"`
	Sampled     bool   `json:"sampled,omitempty"`
	Cumulative  bool   `json:"cumulative,omitempty"`
}

// heapConfig is what the SDK sends with a Go heap profile.
var heapConfig = map[string]*sampleType{
	"alloc_objects": {Units: "objects", Cumulative: false},
	"alloc_space":   {Units: "bytes", Cumulative: false},
	"inuse_space":   {Units: "bytes", Aggregation: "average"},
	"inuse_objects": {Units: "objects", Aggregation: "average"},
}

// appName renders name{k=v,...} with the keys sorted, as the SDK does.
func appName(app string, tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return app + "{" + strings.Join(parts, ",") + "}"
}

func addFile(w *multipart.Writer, field, filename string, data []byte) error {
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}

func buildBody(profile []byte, withConfig, withPrev bool) (*bytes.Buffer, string, error) {
	body := &bytes.Buffer{}
	w := multipart.NewWriter(body)
	if err := addFile(w, "profile", "profile.pprof", profile); err != nil {
		return nil, "", err
	}
	if withPrev {
		if err := addFile(w, "prev_profile", "profile.pprof", profile); err != nil {
			return nil, "", err
		}
	}
	if withConfig {
		cfg, err := json.Marshal(heapConfig)
		if err != nil {
			return nil, "", err
		}
		if err := addFile(w, "sample_type_config", "sample_type_config.json", cfg); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return body, w.FormDataContentType(), nil
}

func run() error {
	server := flag.String("server", "http://127.0.0.1:4040", "base URL; /ingest is appended")
	file := flag.String("profile", "", "gzip pprof to upload")
	app := flag.String("app", "go-style-app", "application name")
	region := flag.String("region", "eu-west", "value of the static tag `region`")
	withConfig := flag.Bool("config", true, "send the sample_type_config part")
	withPrev := flag.Bool("prev", false, "also send a non-empty prev_profile part (obsolete)")
	want := flag.Int("want", 200, "expected HTTP status")
	flag.Parse()

	profile, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	body, contentType, err := buildBody(profile, *withConfig, *withPrev)
	if err != nil {
		return err
	}
	u, err := url.Parse(*server)
	if err != nil {
		return err
	}
	until := time.Now()
	from := until.Add(-15 * time.Second)
	tags := map[string]string{
		"__session_id__":          "1e0b5c63a9d24f7e",
		"otel.scope.name":         "com.grafana.pyroscope/go",
		"otel.scope.version":      "1.4.2",
		"process.runtime.name":    "go",
		"process.runtime.version": "go1.19.8",
		"region":                  *region,
	}
	q := u.Query()
	q.Set("name", appName(*app, tags))
	q.Set("from", strconv.FormatInt(from.UnixNano(), 10))
	q.Set("until", strconv.FormatInt(until.UnixNano(), 10))
	q.Set("spyName", "gospy")
	q.Set("sampleRate", "100")
	q.Set("units", "samples")
	q.Set("aggregationType", "sum")
	u.Path = path.Join(u.Path, "ingest")
	u.RawQuery = q.Encode()

	req, err := http.NewRequest(http.MethodPost, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "pyroscope-go-style/1.4.2")
	client := &http.Client{
		Timeout: 30 * time.Second,
		// The SDK does not follow redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != *want {
		return fmt.Errorf("HTTP %d, expected %d: %s", resp.StatusCode, *want, answer)
	}
	if resp.StatusCode == http.StatusOK && len(answer) != 0 {
		return fmt.Errorf("HTTP 200 with a body, which the SDK reports as a failure: %s", answer)
	}
	os.Stdout.Write(answer)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pyroscope-go-style:", err)
		os.Exit(1)
	}
}
