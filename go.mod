module github.com/actr-go/actr

go 1.26

require google.golang.org/protobuf v1.36.12

require go.uber.org/goleak v1.3.0

require github.com/coder/websocket v1.8.15
