package signaling

import "maps"

// ClusterState is what a Server knows of its cluster, for metrics and
// status pages.
type ClusterState struct {
	// Enabled: the server has a Cluster (ServerConfig.Cluster).
	Enabled bool
	// Healthy: its backplane is reachable; a server that is not refuses
	// new actors.
	Healthy bool
	// Name is this server's name in the cluster ("" when the Cluster
	// does not say).
	Name string
	// Servers is how many servers the backplane has heard alive lately,
	// this one included.
	Servers int
	// ActorsByServer counts the actors online on each server, this one
	// under Name; nil when the Cluster does not say.
	ActorsByServer map[string]int
}

// clusterDescriber is what a Cluster may add to say more of itself
// (natscluster.Cluster does).
type clusterDescriber interface {
	Name() string
	ActorsPerServer() map[string]int
}

// ClusterState returns the server's view of its cluster.
func (s *Server) ClusterState() ClusterState {
	c := s.cluster
	if c == nil {
		return ClusterState{}
	}
	st := ClusterState{Enabled: true, Healthy: c.Healthy(), Servers: c.Servers()}
	if d, ok := c.(clusterDescriber); ok {
		st.Name = d.Name()
		st.ActorsByServer = maps.Clone(d.ActorsPerServer())
		if st.ActorsByServer == nil {
			st.ActorsByServer = map[string]int{}
		}
		online := 0
		for _, n := range s.RealmCounts() {
			online += n.Online
		}
		st.ActorsByServer[st.Name] = online
	}
	return st
}
