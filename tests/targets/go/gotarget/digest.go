package main

import "crypto/sha256"

// startDigest burns CPU in the program's own main.plantedDigestScorer, whose time is nearly all spent in the
// standard library's crypto/sha256 it calls: the own function is hot only inclusively, the leaf is library code.
func startDigest() {
	go burnPayload(plantedDigestScorer)
}

// burnPayload runs score over a 64 KiB payload forever, feeding each result back so no call can be optimised away.
func burnPayload(score func([]byte) uint64) {
	payload := make([]byte, 64*1024)
	for {
		payload[0] = byte(score(payload))
	}
}

//go:noinline
func plantedDigestScorer(payload []byte) uint64 {
	var score uint64
	for i := 0; i < 64; i++ {
		sum := sha256.Sum256(payload)
		score += uint64(sum[0])
		payload[1] = sum[1]
	}
	return score
}
