package plugin

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRecoverUnary(t *testing.T) {
	intc := recoverUnary(hclog.NewNullLogger())
	_, err := intc(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Validate"}, func(context.Context, interface{}) (interface{}, error) {
		panic("bad")
	})
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "/x/Validate") {
		t.Errorf("err = %v", err)
	}
	resp, err := intc(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Validate"}, func(context.Context, interface{}) (interface{}, error) {
		return "ok", nil
	})
	if err != nil || resp != "ok" {
		t.Errorf("passthrough = %v, %v", resp, err)
	}
}
