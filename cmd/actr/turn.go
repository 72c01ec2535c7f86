package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/turnserver"
)

// runTurn runs the STUN and TURN server alone, for deployments that put
// it on another host than signaling: both are given the same secret
// (actr signal --turn-url … --turn-secret-file FILE).
func runTurn(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("turn", "actr turn --secret-file FILE [--listen ADDR] [--public-ip IP] [--tls-listen ADDR --tls-cert FILE --tls-key FILE]", stdout, stderr)
	t := addTURNFlags(f, "", "0.0.0.0:3478")
	tlsCert := f.String("tls-cert", "", "TLS certificate file, for --tls-listen")
	tlsKey := f.String("tls-key", "", "TLS private key file")
	metricsListen := f.String("metrics-listen", "", "serve Prometheus metrics (/metrics) on this address")
	if err := f.parse(args); err != nil {
		return err
	}
	log, _ := f.logger()
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	var tlsCfg *tls.Config
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	secret, err := t.secret(false)
	if err != nil {
		return err
	}
	cfg, err := t.config(secret, log)
	if err != nil {
		return err
	}
	mln, err := listenMetrics(*metricsListen)
	if err != nil {
		return err
	}
	s, err := t.start(cfg, tlsCfg)
	if err != nil {
		if mln != nil {
			_ = mln.Close()
		}
		return err
	}
	defer s.Close()
	urls, err := t.announced(s, cfg.RelayIP)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "TURN server (realm %q, relays on %s): %s\n", s.Realm(), cfg.RelayIP, strings.Join(urls, " "))
	fmt.Fprintf(stdout, "give the signaling server the same secret and these URLs: actr signal --turn-url %s --turn-secret-file FILE\n", strings.Join(urls, ","))
	if mln != nil {
		o, err := startObserver(mln, metrics.Sources{}, pages{collectors: []prometheus.Collector{turnserver.NewCollector(s)}}, stdout, log)
		if err != nil {
			return err
		}
		defer o.close()
	}
	<-ctx.Done()
	log.Info("TURN server stopping")
	return nil
}
