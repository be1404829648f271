// SPDX-License-Identifier: Apache-2.0
//
// go-pprof-server: a Go program serving net/http/pprof for the pprof
// receiver's scrape test (tests/e2e/pprof_scrape.sh). Standard library only.
// It keeps every profile type busy: one goroutine burns CPU, one allocates,
// a few fight over a mutex and block on channels (mutex and block profiling
// are switched on at full rate), and some goroutines just wait. It listens
// on 127.0.0.1:0, writes the port it got to the -port-file, and exits by
// itself after -lifetime so a test that dies cannot leave it running.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var sink []byte

func burn(stop <-chan struct{}) {
	x := 1.0
	for {
		select {
		case <-stop:
			return
		default:
		}
		for i := 0; i < 100000; i++ {
			x = x*1.0000001 + 0.5
		}
		if x < 0 {
			fmt.Println(x)
		}
	}
}

func allocate(stop <-chan struct{}) {
	keep := make([][]byte, 0, 64)
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Millisecond):
		}
		keep = append(keep, make([]byte, 64*1024))
		sink = keep[len(keep)-1]
		if len(keep) == cap(keep) {
			keep = keep[:0]
		}
	}
}

func contend(mu *sync.Mutex, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		mu.Lock()
		time.Sleep(200 * time.Microsecond)
		mu.Unlock()
	}
}

func block(ch chan int, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case v := <-ch:
			time.Sleep(time.Millisecond)
			_ = v
		}
	}
}

func main() {
	portFile := flag.String("port-file", "", "write the listening port to this file")
	lifetime := flag.Duration("lifetime", 5*time.Minute, "exit after this long")
	flag.Parse()

	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)

	stop := make(chan struct{})
	go burn(stop)
	go allocate(stop)
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		go contend(&mu, stop)
	}
	ch := make(chan int)
	go block(ch, stop)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case ch <- i:
			}
		}
	}()
	for i := 0; i < 10; i++ {
		go func() { <-stop }()
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if *portFile != "" {
		tmp := *portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", port)), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *portFile); err != nil {
			log.Fatal(err)
		}
	}
	go func() {
		time.Sleep(*lifetime)
		close(stop)
		os.Exit(0)
	}()
	log.Fatal(http.Serve(ln, nil))
}
