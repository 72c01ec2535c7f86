// Package status serves a small status page for a node: its actor, its
// destinations, each destination's wires (kind, state, dialled or
// adopted, attempts, last error) and the node's recent connection events.
// The page refreshes itself; the same data is served as JSON with
// ?format=json for tools and tests.
package status
