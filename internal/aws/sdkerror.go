package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// SDKError turns a failed AWS SDK call (api names it, e.g.
// "s3:ListObjectsV2") into an error the engine classifies by its HTTP
// status, naming the call and AWS's error code but never AWS's message or
// the SDK's text: an upstream may repeat the request, its URL or the
// Authorization header (the access key ID) in its message, and the error
// goes to the logs. collectors/infra and collectors/backup use it.
func SDKError(ctx context.Context, api string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// A refusal is classified by its status even when its error body does
	// not parse; a 2xx answer that does not parse is a decode failure.
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 300 {
		e := &source.HTTPError{API: "AWS " + api, StatusCode: re.HTTPStatusCode()}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			// AWS's error code (AccessDenied, ThrottlingException, …) is a
			// fixed vocabulary and says what to fix.
			e.API += " (" + ae.ErrorCode() + ")"
			switch ae.ErrorCode() {
			case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown":
				e.StatusCode = http.StatusTooManyRequests
			}
		}
		return e
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return &source.DecodeError{Err: fmt.Errorf("AWS %s: the answer did not parse", api)}
	}
	return fmt.Errorf("AWS %s: %w", api, err)
}
