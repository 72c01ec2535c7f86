package main

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/actr-go/actr/rpc/echopb"
)

func run(t *testing.T, fdp *descriptorpb.FileDescriptorProto) (*pluginpb.CodeGeneratorResponse, error) {
	t.Helper()
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: []string{fdp.GetName()},
		ProtoFile: []*descriptorpb.FileDescriptorProto{fdp}, Parameter: proto.String("module=github.com/actr-go/actr")}
	gen, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatal(err)
	}
	err = generate(gen)
	return gen.Response(), err
}

// The echo service (its descriptor as compiled in) gives the client,
// server, registration and route key the committed file has.
func TestGeneratesEcho(t *testing.T) {
	resp, err := run(t, protodesc.ToFileDescriptorProto(echopb.File_echo_proto))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetFile()) != 1 || resp.GetFile()[0].GetName() != "rpc/echopb/echo_actr.pb.go" {
		t.Fatalf("files %v", resp.GetFile())
	}
	src := resp.GetFile()[0].GetContent()
	for _, want := range []string{
		`Echo_Say_Route = "echo.Echo.Say"`,
		"func NewEchoClient(cc rpc.ClientConn) EchoClient",
		"Say(ctx context.Context, in *SayRequest, opts ...rpc.CallOption) (*SayResponse, error)",
		"type EchoServer interface",
		"func RegisterEchoServer(r rpc.Registrar, srv EchoServer)",
		"r.Handle(Echo_Say_Route, rpc.Unary(srv.Say))",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("no %q in:\n%s", want, src)
		}
	}
}

// A streaming method is refused with a message saying why.
func TestRefusesStreamingMethods(t *testing.T) {
	fdp := protodesc.ToFileDescriptorProto(echopb.File_echo_proto)
	fdp.Service[0].Method[0].ServerStreaming = proto.Bool(true)
	_, err := run(t, fdp)
	if err == nil || !strings.Contains(err.Error(), "echo.Echo.Say is a streaming method") {
		t.Fatalf("err %v", err)
	}
}
