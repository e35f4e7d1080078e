package ionos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// getJSON is what every hand-written IONOS client (billing, registry and
// auth tokens) does per request: GET the URL with the client that carries
// the source's counting transport and the credentials, turn a non-2xx into
// the engine's HTTPError (named by api, never the URL), and decode at most
// limit bytes of JSON into into, a decode failure counting as such.
func getJSON(ctx context.Context, client *http.Client, api, u string, limit int64, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", api, err)
	}
	defer resp.Body.Close()
	if err := source.CheckResponse(api, resp); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return fmt.Errorf("%s: %w", api, err)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%s: %w", api, &source.DecodeError{Err: err})
	}
	return nil
}
