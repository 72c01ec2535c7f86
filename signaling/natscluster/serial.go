package natscluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const serialKey = "next"

// NextSerial implements signaling.Cluster. Serials come from blocks
// reserved in the serials bucket by compare-and-set on its one key: a
// block is [v, v+SerialBlock) where v is the value read at revision r,
// and it is ours only if our write of v+SerialBlock succeeds at r, so no
// two servers ever hold overlapping blocks. The first block starts no
// lower than the clock in microseconds, as a lone server's serials do.
func (c *Cluster) NextSerial(ctx context.Context) (uint64, error) {
	c.mu.Lock()
	if c.lo < c.hi {
		n := c.lo
		c.lo++
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	lo, hi, err := c.reserve(ctx)
	if err != nil {
		return 0, err
	}
	c.counters.SerialBlocks.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lo >= c.hi { // no one refilled it while we were away
		c.lo, c.hi = lo+1, hi
	}
	// Otherwise the first serial of our block is still ours alone; the
	// rest is dropped (serials are 64 bits).
	return lo, nil
}

func (c *Cluster) reserve(ctx context.Context) (lo, hi uint64, err error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	for {
		floor := uint64(time.Now().UnixMicro())
		e, err := c.serials.Get(ctx, serialKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			lo = floor
			hi = lo + c.cfg.SerialBlock
			if _, err = c.serials.Create(ctx, serialKey, []byte(strconv.FormatUint(hi, 10))); err == nil {
				return lo, hi, nil
			}
		case err == nil:
			v, perr := strconv.ParseUint(string(e.Value()), 10, 64)
			if perr != nil || len(e.Value()) > 20 {
				return 0, 0, fmt.Errorf("%w: serials bucket holds %.32q", ErrMalformed, e.Value())
			}
			lo = max(v, floor)
			hi = lo + c.cfg.SerialBlock
			if _, err = c.serials.Update(ctx, serialKey, []byte(strconv.FormatUint(hi, 10)), e.Revision()); err == nil {
				return lo, hi, nil
			}
		}
		// Lost the race to another server (or a transient error): read
		// again, until the deadline.
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("natscluster: reserving serials: %w", errors.Join(err, ctx.Err()))
		}
	}
}
