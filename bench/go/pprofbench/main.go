// SPDX-License-Identifier: Apache-2.0

// pprofbench times the reference pprof library (github.com/google/pprof/profile,
// Debian golang-github-google-pprof-dev) on the files bench_convert uses:
// profile.Parse + Write (gzip), and Parse + WriteUncompressed, each looped for
// at least -t per round, best of 5 rounds. Built in GOPATH mode by
// bench/run_convert.sh. Prints one line per file:
//
//	GO <file> <bytes> parse_write_us <µs> parse_writeuncompressed_us <µs>
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/google/pprof/profile"
)

const rounds = 5

// best returns the best per-op time in µs of `rounds` rounds of op looped for
// at least min each.
func best(min time.Duration, op func() error) float64 {
	b := math.MaxFloat64
	for r := 0; r < rounds; r++ {
		n := 0
		start := time.Now()
		for time.Since(start) < min {
			if err := op(); err != nil {
				log.Fatal(err)
			}
			n++
		}
		us := float64(time.Since(start).Nanoseconds()) / 1e3 / float64(n)
		if us < b {
			b = us
		}
	}
	return b
}

func main() {
	min := flag.Duration("t", time.Second, "minimum time per round")
	flag.Parse()
	for _, path := range flag.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			log.Fatal(err)
		}
		var out bytes.Buffer
		parseWrite := func(write func(*profile.Profile) error) func() error {
			return func() error {
				p, err := profile.Parse(bytes.NewReader(data))
				if err != nil {
					return err
				}
				out.Reset()
				return write(p)
			}
		}
		gz := best(*min, parseWrite(func(p *profile.Profile) error { return p.Write(&out) }))
		raw := best(*min, parseWrite(func(p *profile.Profile) error {
			return p.WriteUncompressed(&out)
		}))
		fmt.Printf("GO %s %d parse_write_us %.1f parse_writeuncompressed_us %.1f\n",
			filepath.Base(path), len(data), gz, raw)
	}
}
