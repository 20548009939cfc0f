package main

import (
	"runtime"
	"sync"
	"time"
)

var sink uint64

func startHot() {
	go func() {
		x := uint64(1)
		for {
			x = plantedHotFunction(x)
			sink = x
		}
	}()
}

// plantedHotFunction is pure arithmetic with no calls, so every CPU sample in it is its own (flat).
//
//go:noinline
func plantedHotFunction(seed uint64) uint64 {
	x := seed | 1
	for i := 0; i < 5_000_000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var leakMu sync.Mutex
var leaked []chan int

// startLeak starts n goroutines that wait on channels nobody ever sends to: the leak. It returns once every one
// of them runs, so a dump taken after it shows all n (on a busy machine, freshly started ones may not have run yet).
//
//go:noinline
func startLeak(n int) {
	leakMu.Lock()
	defer leakMu.Unlock()
	var running sync.WaitGroup
	running.Add(n)
	for i := 0; i < n; i++ {
		ch := make(chan int)
		leaked = append(leaked, ch)
		go plantedLeakyWorker(ch, &running)
	}
	running.Wait()
}

//go:noinline
func plantedLeakyWorker(ch chan int, running *sync.WaitGroup) {
	running.Done()
	<-ch
}

// PlantedLeakedOrder is about a kibibyte, so the orders held top a heap profile by bytes.
type PlantedLeakedOrder struct {
	ID    int
	Lines [1016]byte
}

var ordersMu sync.Mutex
var heldOrders []*PlantedLeakedOrder

func holdOrders(n int) {
	ordersMu.Lock()
	for i := 0; i < n; i++ {
		heldOrders = append(heldOrders, newPlantedLeakedOrder(i))
	}
	ordersMu.Unlock()
	// A heap profile shows the heap as of the last completed GC; two make the new orders appear in it.
	runtime.GC()
	runtime.GC()
}

//go:noinline
func newPlantedLeakedOrder(id int) *PlantedLeakedOrder {
	order := &PlantedLeakedOrder{ID: id}
	order.Lines[0] = byte(id)
	return order
}

var contended sync.Mutex

func startContention() {
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	for i := 0; i < 4; i++ {
		go plantedMutexContender()
	}
}

//go:noinline
func plantedMutexContender() {
	for {
		contended.Lock()
		time.Sleep(time.Millisecond)
		contended.Unlock()
	}
}

// Unchanging background work: what a diff must not rank above a planted change.
func startSteady() {
	go func() {
		x := uint64(7)
		for {
			x = plantedSteadyWork(x)
			sink = x
		}
	}()
	for i := 0; i < 20; i++ {
		go plantedIdleWorker()
	}
	cacheMu.Lock()
	for i := 0; i < 5000; i++ {
		cache = append(cache, newPlantedCacheEntry(i))
	}
	cacheMu.Unlock()
	runtime.GC()
	runtime.GC()
}

//go:noinline
func plantedSteadyWork(seed uint64) uint64 {
	x := seed | 1
	for i := 0; i < 5_000_000; i++ {
		x ^= x << 11
		x ^= x >> 5
		x ^= x << 19
	}
	return x
}

var idle = make(chan struct{})

//go:noinline
func plantedIdleWorker() {
	for {
		select {
		case <-idle:
		case <-time.After(time.Hour):
		}
	}
}

type plantedCacheEntry struct {
	Key   int
	Value [504]byte
}

var cacheMu sync.Mutex
var cache []*plantedCacheEntry

//go:noinline
func newPlantedCacheEntry(key int) *plantedCacheEntry {
	entry := &plantedCacheEntry{Key: key}
	entry.Value[0] = byte(key)
	return entry
}
