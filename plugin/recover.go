package plugin

import (
	"context"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recoverUnary turns a panic inside a unary RPC into an Internal error, so
// one bad request does not take the plugin process down.
func recoverUnary(logger hclog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp interface{}, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicError(logger, info.FullMethod, r)
			}
		}()
		return handler(ctx, req)
	}
}

// recoverStream is recoverUnary for streaming RPCs.
func recoverStream(logger hclog.Logger) grpc.StreamServerInterceptor {
	return func(srv interface{}, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicError(logger, info.FullMethod, r)
			}
		}()
		return handler(srv, ss)
	}
}

func panicError(logger hclog.Logger, method string, r interface{}) error {
	logger.Error("panic in plugin RPC", "method", method, "panic", r, "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "plugin panic in %s: %v", method, r)
}

// ServerOptions are the gRPC server options of the plugin: panic recovery
// for every RPC, and a message limit that fits a plan of MaxPlanBytes.
func ServerOptions(logger hclog.Logger) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxPlanBytes + 1<<20),
		grpc.ChainUnaryInterceptor(recoverUnary(logger)),
		grpc.ChainStreamInterceptor(recoverStream(logger)),
	}
}
