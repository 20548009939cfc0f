package main

import (
	"bytes"
	"net/http"
	"net/http/pprof"
	"runtime"
	rpprof "runtime/pprof"
)

// faultyMux serves net/http/pprof, except that /debug/pprof/heap misbehaves the way a broken server or proxy does.
func faultyMux(fault string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/heap", func(w http.ResponseWriter, r *http.Request) {
		switch fault {
		case "hang":
			<-r.Context().Done()
		case "truncate":
			runtime.GC()
			var profile bytes.Buffer
			_ = rpprof.Lookup("heap").WriteTo(&profile, 0)
			// No Content-Length: the body just ends early, as when a proxy cuts it off.
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(profile.Bytes()[:profile.Len()/2])
		default:
			http.Error(w, "unknown fault", http.StatusInternalServerError)
		}
	})
	return mux
}
