package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The gops agent's command bytes (github.com/google/gops/signal).
const (
	gopsStackTrace  = 0x1
	gopsMemStats    = 0x3
	gopsHeapProfile = 0x5
	gopsCPUProfile  = 0x6
	gopsStats       = 0x7
	gopsTrace       = 0x8
)

var gopsPortFile string

// overlaps counts connections that arrived while another was still being served: a well-behaved client of the
// real agent (which serves one connection at a time) never causes one.
var overlaps atomic.Int64

func startGopsAgent(mux *http.ServeMux) (int, error) {
	dir := os.Getenv("GOPS_CONFIG_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return 0, err
		}
		dir = filepath.Join(home, ".config", "gops")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := listener.Addr().(*net.TCPAddr).Port
	gopsPortFile = filepath.Join(dir, strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(gopsPortFile, []byte(strconv.Itoa(port)), 0o644); err != nil {
		return 0, err
	}
	mux.HandleFunc("/gops-test/overlaps", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, overlaps.Load())
	})

	var busy sync.Mutex
	serving := false
	queue := make(chan net.Conn, 64)
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			busy.Lock()
			if serving || len(queue) > 0 {
				overlaps.Add(1)
			}
			busy.Unlock()
			queue <- conn
		}
	}()
	go func() {
		for conn := range queue {
			busy.Lock()
			serving = true
			busy.Unlock()
			serveGops(conn)
			busy.Lock()
			serving = false
			busy.Unlock()
		}
	}()
	return port, nil
}

func removeGopsPortFile() {
	if gopsPortFile != "" {
		_ = os.Remove(gopsPortFile)
	}
}

func serveGops(conn net.Conn) {
	defer conn.Close()
	command := make([]byte, 1)
	if _, err := io.ReadFull(conn, command); err != nil {
		return
	}
	switch command[0] {
	case gopsStackTrace:
		_ = pprof.Lookup("goroutine").WriteTo(conn, 2)
	case gopsMemStats:
		var s runtime.MemStats
		runtime.ReadMemStats(&s)
		fmt.Fprintf(conn, "alloc: %s\n", gopsBytes(s.Alloc))
		fmt.Fprintf(conn, "total-alloc: %s\n", gopsBytes(s.TotalAlloc))
		fmt.Fprintf(conn, "sys: %s\n", gopsBytes(s.Sys))
		fmt.Fprintf(conn, "lookups: %d\n", s.Lookups)
		fmt.Fprintf(conn, "mallocs: %d\n", s.Mallocs)
		fmt.Fprintf(conn, "frees: %d\n", s.Frees)
		fmt.Fprintf(conn, "heap-alloc: %s\n", gopsBytes(s.HeapAlloc))
		fmt.Fprintf(conn, "heap-sys: %s\n", gopsBytes(s.HeapSys))
		fmt.Fprintf(conn, "heap-idle: %s\n", gopsBytes(s.HeapIdle))
		fmt.Fprintf(conn, "heap-in-use: %s\n", gopsBytes(s.HeapInuse))
		fmt.Fprintf(conn, "heap-released: %s\n", gopsBytes(s.HeapReleased))
		fmt.Fprintf(conn, "heap-objects: %d\n", s.HeapObjects)
		fmt.Fprintf(conn, "stack-in-use: %s\n", gopsBytes(s.StackInuse))
		fmt.Fprintf(conn, "stack-sys: %s\n", gopsBytes(s.StackSys))
		fmt.Fprintf(conn, "next-gc: when heap-alloc >= %s\n", gopsBytes(s.NextGC))
		fmt.Fprintf(conn, "gc-pause-total: %v\n", time.Duration(s.PauseTotalNs))
		fmt.Fprintf(conn, "num-gc: %d\n", s.NumGC)
		fmt.Fprintf(conn, "enable-gc: %v\n", s.EnableGC)
	case gopsHeapProfile:
		_ = pprof.WriteHeapProfile(conn)
	case gopsCPUProfile:
		if err := pprof.StartCPUProfile(conn); err != nil {
			return
		}
		time.Sleep(30 * time.Second)
		pprof.StopCPUProfile()
	case gopsStats:
		fmt.Fprintf(conn, "goroutines: %d\n", runtime.NumGoroutine())
		fmt.Fprintf(conn, "OS threads: %d\n", pprof.Lookup("threadcreate").Count())
		fmt.Fprintf(conn, "GOMAXPROCS: %d\n", runtime.GOMAXPROCS(0))
		fmt.Fprintf(conn, "num CPU: %d\n", runtime.NumCPU())
	case gopsTrace:
		if err := trace.Start(conn); err != nil {
			return
		}
		time.Sleep(5 * time.Second)
		trace.Stop()
	}
}

// gopsBytes writes sizes as the agent does: "22.89MB (24005552 bytes)", or "512 bytes" below a kibibyte.
func gopsBytes(value uint64) string {
	units := []string{"KB", "MB", "GB", "TB"}
	if value < 1024 {
		return fmt.Sprintf("%d bytes", value)
	}
	scaled := float64(value) / 1024
	unit := 0
	for scaled >= 1024 && unit < len(units)-1 {
		scaled /= 1024
		unit++
	}
	return fmt.Sprintf("%.2f%s (%d bytes)", scaled, units[unit], value)
}
