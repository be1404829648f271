// SPDX-License-Identifier: Apache-2.0

// cpuprof writes a real Go CPU profile for bench/run_convert.sh: it profiles
// a few standard-library workloads (JSON, sorting, regexps, gzip, SHA-256,
// big numbers, templates) on two goroutines, so the profile has the stack
// variety of a real service. Standard library only; Go 1.19.
//
// Usage: cpuprof [-d 3s] -o OUT.pb.gz
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"os"
	"regexp"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"
)

type record struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Score float64           `json:"score"`
	Attrs map[string]string `json:"attrs"`
}

func records(n int) []record {
	rs := make([]record, n)
	for i := range rs {
		rs[i] = record{
			ID:    i,
			Name:  fmt.Sprintf("record-%d", i),
			Tags:  []string{"a", "b", fmt.Sprint(i % 7)},
			Score: float64(i) * 1.5,
			Attrs: map[string]string{"k": fmt.Sprint(i), "zone": fmt.Sprint(i % 3)},
		}
	}
	return rs
}

func doJSON(rs []record) {
	b, err := json.Marshal(rs)
	if err != nil {
		log.Fatal(err)
	}
	var back []record
	if err := json.Unmarshal(b, &back); err != nil {
		log.Fatal(err)
	}
}

func doSort(n int) {
	ss := make([]string, n)
	for i := range ss {
		ss[i] = fmt.Sprintf("%08x", uint32(i)*2654435761)
	}
	sort.Strings(ss)
}

var lineRE = regexp.MustCompile(`(\w+)=(\d+)\s+user=(\w+)`)

func doRegexp(lines []string) {
	for _, l := range lines {
		lineRE.FindAllStringSubmatch(l, -1)
	}
}

func doGzip(text []byte) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(text); err != nil {
		log.Fatal(err)
	}
	w.Close()
	r, err := gzip.NewReader(&buf)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		log.Fatal(err)
	}
}

func doSHA(blocks [][]byte) {
	for _, b := range blocks {
		sha256.Sum256(b)
	}
}

func doBig(n int64) {
	f := big.NewInt(1)
	for i := int64(2); i <= n; i++ {
		f.Mul(f, big.NewInt(i))
	}
	_ = f.String()
}

var tmpl = template.Must(template.New("t").Parse(`{{range .}}<li id="{{.ID}}">{{.Name}} ` +
	`{{range .Tags}}[{{.}}]{{end}} {{printf "%.2f" .Score}}</li>{{end}}`))

func doTemplate(rs []record) {
	if err := tmpl.Execute(io.Discard, rs); err != nil {
		log.Fatal(err)
	}
}

func work(deadline time.Time, seed int) {
	rs := records(2000)
	lines := make([]string, 5000)
	for i := range lines {
		lines[i] = fmt.Sprintf("ts=%d user=u%d op=read bytes=%d", i, i%97, i*31)
	}
	text := []byte(strings.Join(lines, "\n"))
	blocks := make([][]byte, 200)
	for i := range blocks {
		blocks[i] = bytes.Repeat([]byte{byte(i)}, 4096)
	}
	tasks := []func(){
		func() { doJSON(rs) },
		func() { doSort(20000) },
		func() { doRegexp(lines) },
		func() { doGzip(text) },
		func() { doSHA(blocks) },
		func() { doBig(2000) },
		func() { doTemplate(rs[:1000]) },
	}
	for i := seed; time.Now().Before(deadline); i++ {
		tasks[i%len(tasks)]()
	}
}

func main() {
	d := flag.Duration("d", 3*time.Second, "how long to profile")
	out := flag.String("o", "", "output file (gzip pprof)")
	flag.Parse()
	if *out == "" {
		log.Fatal("usage: cpuprof [-d 3s] -o OUT.pb.gz")
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(*d)
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(seed int) {
			defer wg.Done()
			work(deadline, seed)
		}(g * 3)
	}
	wg.Wait()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
