// Package plantedlib stands in for a third-party module the application depends on: vendored into gotarget (see
// ../../modules.txt) so it builds offline, yet compiled, named and placed on disk the way a real dependency is.
package plantedlib

import "crypto/sha256"

// Checksum hashes payload over and over: a library that spends its caller's CPU in the standard library beneath it.
//
//go:noinline
func Checksum(payload []byte, rounds int) uint64 {
	var score uint64
	for i := 0; i < rounds; i++ {
		sum := sha256.Sum256(payload)
		score += uint64(sum[0])
		payload[1] = sum[1]
	}
	return score
}
