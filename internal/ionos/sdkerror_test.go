package ionos

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// TestSDKError: the one mapping of Cloud API SDK failures both collectors
// use: a refusal is classified by its status (auth with the hint, throttled
// with its Retry-After), a 2xx that did not parse is decode, a canceled
// refresh is canceled, and no error carries the request's URL or the SDK's
// text.
func TestSDKError(t *testing.T) {
	const secretURL = "https://api.ionos.com/cloudapi/v6/snapshots?depth=1&token=canary-s3cr3t"
	resp := func(code int, h http.Header) *ionoscloud.APIResponse {
		return &ionoscloud.APIResponse{Response: &http.Response{StatusCode: code, Header: h}}
	}
	sdkErr := ionoscloud.NewGenericOpenAPIError("GET "+secretURL+" failed", []byte(secretURL), nil, 0)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		ctx    context.Context
		resp   *ionoscloud.APIResponse
		err    error
		reason string
		hint   string
	}{
		{"401", ctx, resp(401, http.Header{}), sdkErr, source.ReasonAuth, "token or username/password"},
		{"403", ctx, resp(403, http.Header{}), sdkErr, source.ReasonAuth, "lacks read rights"},
		{"429", ctx, resp(429, http.Header{"Retry-After": {"7"}}), sdkErr, source.ReasonThrottled, ""},
		{"503", ctx, resp(503, http.Header{}), sdkErr, source.ReasonServerError, ""},
		{"garbage", ctx, resp(200, http.Header{}), ionoscloud.NewGenericOpenAPIError("json: "+secretURL, nil, nil, 200), source.ReasonDecode, ""},
		{"canceled", canceled(), nil, errors.New(secretURL), source.ReasonCanceled, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := SDKError(c.ctx, "GET /snapshots", c.resp, c.err)
			if got := source.Classify(err); got != c.reason {
				t.Errorf("reason %q, want %q (%v)", got, c.reason, err)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("the error carries the URL or the SDK's text: %v", err)
			}
			if c.name != "canceled" && !strings.Contains(err.Error(), "IONOS Cloud API GET /snapshots") {
				t.Errorf("the error does not name the call: %v", err)
			}
			if !strings.Contains(err.Error(), c.hint) {
				t.Errorf("%v: no hint %q", err, c.hint)
			}
			var he *source.HTTPError
			if c.name == "429" && (!errors.As(err, &he) || he.RetryAfter != 7*time.Second) {
				t.Errorf("Retry-After not honoured: %v", err)
			}
		})
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
