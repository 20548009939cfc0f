package main

import "example.com/plantedlib"

// startVendored burns CPU in the program's own main.plantedChecksumCaller through the vendored third-party module
// example.com/plantedlib and, beneath it, crypto/sha256: a name with a dot is not enough to be the program's own.
func startVendored() {
	go burnPayload(plantedChecksumCaller)
}

//go:noinline
func plantedChecksumCaller(payload []byte) uint64 {
	return plantedlib.Checksum(payload, 64)
}
