package ionos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// SDKError turns a failure of a Cloud API SDK call (api names it, e.g.
// "GET /k8s") into an error the engine classifies (and, for 429, whose
// Retry-After it honours), naming the call but never the URL or the SDK's
// text, which may quote the request. Every collector calling the SDK uses
// it (collectors/infra, collectors/backup).
func SDKError(ctx context.Context, api string, resp *ionoscloud.APIResponse, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if resp != nil && resp.Response != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		e := &source.HTTPError{API: "IONOS Cloud API " + api, StatusCode: resp.StatusCode,
			RetryAfter: source.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return fmt.Errorf("%w: the IONOS token or username/password in the ionos section is wrong, expired or lacks read rights", e)
		}
		return e
	}
	var oe ionoscloud.GenericOpenAPIError
	if errors.As(err, &oe) && oe.StatusCode() >= 200 && oe.StatusCode() < 300 {
		return &source.DecodeError{Err: fmt.Errorf("IONOS Cloud API %s: the answer did not parse", api)}
	}
	return fmt.Errorf("IONOS Cloud API %s: %w", api, err)
}
