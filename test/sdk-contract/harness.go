package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
)

// Result is one line of the structured output: one SDK operation (or a named variant of one, written
// "Method/variant"), whether the simulator's answer agreed with the SDK, and why.
type Result struct {
	// Op is the SDK client method called, e.g. "CreateEndpointService" or "ListServiceDetails/missing".
	Op string `json:"op"`
	// OK is true when the call succeeded (or failed exactly as expected), the answer decoded into the
	// SDK's model and every checked field held the expected value.
	OK bool `json:"ok"`
	// Status is the HTTP status the SDK reported (0 when the call never got an answer).
	Status int `json:"status,omitempty"`
	// Detail says what was checked, or the first disagreement / the SDK's error.
	Detail string `json:"detail"`
	// Extra lists the answer's JSON fields that the SDK's model does not have ("a.b[].c" paths). The
	// SDK ignores them; they are reported so that the caller can hold them to a known list.
	Extra []string `json:"extra,omitempty"`
	// Signed is the SignedHeaders list of the SDK's Authorization header on that request.
	Signed string `json:"signed,omitempty"`
}

// Summary is the last line of the output.
type Summary struct {
	Summary bool `json:"summary"`
	Ops     int  `json:"ops"`
	Failed  int  `json:"failed"`
}

// capture is an http.RoundTripper that keeps the raw body of the last response (and the SignedHeaders
// of the last request) so that each answer can also be walked against the SDK model's field names.
// Calls are sequential; the mutex only keeps the race detector quiet.
type capture struct {
	base   http.RoundTripper
	mu     sync.Mutex
	body   []byte
	signed string
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	signed := ""
	if a := r.Header.Get("Authorization"); a != "" {
		if i := strings.Index(a, "SignedHeaders="); i >= 0 {
			signed = strings.SplitN(a[i+len("SignedHeaders="):], ",", 2)[0]
		}
	}
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	c.body, c.signed = body, signed
	c.mu.Unlock()
	return resp, nil
}

// take returns and forgets the last response body and signed-header list.
func (c *capture) take() ([]byte, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, s := c.body, c.signed
	c.body, c.signed = nil, ""
	return b, s
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// extraFields walks raw JSON against the Go type the SDK decodes it into and lists the object keys
// that type has no `json` field for. Types with their own UnmarshalJSON (enums, SdkTime) are leaves.
func extraFields(raw []byte, model any) []string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return []string{"(body is not JSON)"}
	}
	seen := map[string]bool{}
	walk(v, reflect.TypeOf(model), "", seen)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func walk(v any, t reflect.Type, path string, out map[string]bool) {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		known := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			known[name] = f.Type
		}
		for k, sub := range obj {
			ft, ok := known[k]
			if !ok {
				out[path+k] = true
				continue
			}
			walk(sub, ft, path+k+".", out)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return
		}
		prefix := strings.TrimSuffix(path, ".") + "[]."
		for _, e := range arr {
			walk(e, t.Elem(), prefix, out)
		}
	}
}

// checks collects the disagreements of one answer with what the scenario expects.
type checks struct{ problems []string }

func (c *checks) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// str checks that a *string field is set and, when want is not empty, equal to it.
func (c *checks) str(name string, got *string, want string) string {
	if got == nil || *got == "" {
		c.fail("%s is not set", name)
		return ""
	}
	if want != "" && *got != want {
		c.fail("%s = %q, want %q", name, *got, want)
	}
	return *got
}

func (c *checks) set(name string, isSet bool) {
	if !isSet {
		c.fail("%s is not set", name)
	}
}

func (c *checks) that(ok bool, format string, args ...any) {
	if !ok {
		c.fail(format, args...)
	}
}

// reporter writes one JSON line per operation to stdout.
type reporter struct {
	enc     *json.Encoder
	cap     *capture
	results int
	failed  int
}

func newReporter(c *capture) *reporter {
	return &reporter{enc: json.NewEncoder(os.Stdout), cap: c}
}

func (r *reporter) emit(res Result) {
	r.results++
	if !res.OK {
		r.failed++
	}
	_ = r.enc.Encode(res)
}

// statusOf reads the HttpStatusCode every SDK response model carries (0 for a nil model).
func statusOf(model any) int {
	v := reflect.ValueOf(model)
	if !v.IsValid() || (v.Kind() == reflect.Ptr && v.IsNil()) {
		return 0
	}
	f := reflect.Indirect(v).FieldByName("HttpStatusCode")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return 0
	}
	return int(f.Int())
}

// expectOK reports a call that must succeed: err must be nil, the answer's model must have the fields
// check looks at, and the HTTP status must be one of want.
func (r *reporter) expectOK(op string, model any, err error, want []int, check func(*checks), what string) {
	body, signed := r.cap.take()
	status := statusOf(model)
	res := Result{Op: op, Status: status, Signed: signed}
	if err != nil {
		res.Detail = "SDK error: " + describeErr(err)
		if res.Status == 0 {
			res.Status = errStatus(err)
		}
		r.emit(res)
		return
	}
	res.Extra = extraFields(body, model)
	c := &checks{}
	statusOK := false
	for _, w := range want {
		statusOK = statusOK || status == w
	}
	c.that(statusOK, "HTTP %d, want one of %v", status, want)
	if check != nil {
		runCheck(c, check)
	}
	if len(c.problems) > 0 {
		res.Detail = strings.Join(c.problems, "; ")
	} else {
		res.OK = true
		res.Detail = what
	}
	r.emit(res)
}

// runCheck runs one check, turning a panic (a nil field dereferenced) into a reported problem.
func runCheck(c *checks, check func(*checks)) {
	defer func() {
		if p := recover(); p != nil {
			c.fail("check panicked (a field the model marks optional was absent?): %v", p)
		}
	}()
	check(c)
}

// expectError reports a call that must fail with the given HTTP status and error code, decoded by the
// SDK into its ServiceResponseError.
func (r *reporter) expectError(op string, err error, status int, code string) {
	_, signed := r.cap.take()
	res := Result{Op: op, Signed: signed}
	var sre *sdkerr.ServiceResponseError
	switch {
	case err == nil:
		res.Detail = fmt.Sprintf("succeeded, want HTTP %d %s", status, code)
	case !errors.As(err, &sre):
		res.Detail = "not a ServiceResponseError: " + err.Error()
	default:
		res.Status = sre.StatusCode
		if sre.StatusCode == status && sre.ErrorCode == code && sre.RequestId != "" {
			res.OK = true
			res.Detail = fmt.Sprintf("ServiceResponseError %d %s (%s), request id %s", sre.StatusCode, sre.ErrorCode, sre.ErrorMessage, sre.RequestId)
		} else {
			res.Detail = fmt.Sprintf("ServiceResponseError %d %q request id %q, want %d %s with a request id", sre.StatusCode, sre.ErrorCode, sre.RequestId, status, code)
		}
	}
	r.emit(res)
}

func describeErr(err error) string {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return fmt.Sprintf("HTTP %d %s: %s", sre.StatusCode, sre.ErrorCode, sre.ErrorMessage)
	}
	return err.Error()
}

func errStatus(err error) int {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return sre.StatusCode
	}
	return 0
}
