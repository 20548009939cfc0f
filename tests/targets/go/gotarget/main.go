// gotarget is the Go process the AutoCapture tests capture: a net/http/pprof server with plainly named,
// switchable work for profiles to find, and optionally a listener that speaks the gops agent's wire protocol
// (the real agent is a module the test machines cannot fetch).
//
// It prints "ready pid=N pprof=http://127.0.0.1:PORT gops=PORT" once serving, and exits when stdin closes or
// its lifetime ends, so a crashed test run cannot leak it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	hot := flag.Bool("hot", false, "burn CPU in main.plantedHotFunction")
	digest := flag.Bool("digest", false, "burn CPU in main.plantedDigestScorer, nearly all of it inside crypto/sha256")
	vendored := flag.Bool("vendored", false, "burn CPU in main.plantedChecksumCaller, nearly all of it inside the vendored example.com/plantedlib and crypto/sha256 beneath it")
	leak := flag.Int("leak", 0, "park this many goroutines in main.plantedLeakyWorker (chan receive)")
	orders := flag.Int("orders", 0, "hold this many ~1 KiB PlantedLeakedOrder values (allocated by main.newPlantedLeakedOrder)")
	steady := flag.Bool("steady", false, "unchanging background work: a busy main.plantedSteadyWork, idle goroutines, a cache")
	contention := flag.Bool("contention", false, "goroutines fighting over one mutex in main.plantedMutexContender, with block and mutex profiling on")
	writeTimeout := flag.Duration("write-timeout", 0, "the pprof server's WriteTimeout (0: none)")
	fault := flag.String("fault", "", "misbehave on /debug/pprof/heap: truncate (a gzip body cut short) or hang (never answer)")
	gops := flag.Bool("gops", false, "also serve the gops agent protocol, with a port file in $GOPS_CONFIG_DIR")
	lifetime := flag.Duration("lifetime", 2*time.Minute, "exit after this long")
	flag.Parse()

	if *contention {
		startContention()
	}
	if *steady {
		startSteady()
	}
	if *orders > 0 {
		holdOrders(*orders)
	}
	if *leak > 0 {
		startLeak(*leak)
	}
	if *hot {
		startHot()
	}
	if *digest {
		startDigest()
	}
	if *vendored {
		startVendored()
	}

	mux := http.DefaultServeMux
	if *fault != "" {
		mux = faultyMux(*fault)
	}
	mux.HandleFunc("/planted/", plantedHandler)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := &http.Server{Handler: mux, WriteTimeout: *writeTimeout}
	go func() { _ = server.Serve(listener) }()

	gopsPort := 0
	if *gops {
		gopsPort, err = startGopsAgent(mux)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}

	fmt.Printf("ready pid=%d pprof=http://%s gops=%d\n", os.Getpid(), listener.Addr(), gopsPort)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).WriteTo(discard{})
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-time.After(*lifetime):
	}
	removeGopsPortFile()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// plantedHandler switches planted work on while the process runs, so a test can take a baseline first:
// /planted/hot, /planted/leak?n=N, /planted/orders?n=N; /planted/goroutines tells how many goroutines exist.
func plantedHandler(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	switch r.URL.Path {
	case "/planted/goroutines":
		fmt.Fprintln(w, runtime.NumGoroutine())
		return
	case "/planted/hot":
		startHot()
	case "/planted/leak":
		if n <= 0 {
			http.Error(w, "n must be a positive number", http.StatusBadRequest)
			return
		}
		startLeak(n)
	case "/planted/orders":
		if n <= 0 {
			http.Error(w, "n must be a positive number", http.StatusBadRequest)
			return
		}
		holdOrders(n)
	default:
		http.Error(w, "unknown planted work", http.StatusNotFound)
		return
	}
	fmt.Fprintln(w, "ok")
}
