package echopb

import "context"

// Service is the echo service `actr node` serves: Say answers with the
// request's payload.
type Service struct{}

// Say implements EchoServer.
func (Service) Say(_ context.Context, in *SayRequest) (*SayResponse, error) {
	return &SayResponse{Payload: in.GetPayload()}, nil
}
