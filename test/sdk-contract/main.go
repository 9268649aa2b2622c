// Command sdk-contract drives a running vpcep-simulator with Huawei's official Go SDK
// (services/vpcep/v1) and reports, one JSON line per SDK operation, whether each answer decodes into
// the SDK's model with the important fields set. The last line is a summary; the exit status is 0 when
// every operation agreed, 1 when one did not, 2 when the run could not start.
//
// Environment: VPCEP_ENDPOINT (the simulator's URL), HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
// HUAWEICLOUD_SDK_PROJECT_ID (the credential it accepts), HUAWEICLOUD_REGION (the region in full
// service names, default cn-north-4), and optionally SDK_CONTRACT_TEMP_AK, SDK_CONTRACT_TEMP_SK,
// SDK_CONTRACT_TEMP_TOKEN (a temporary credential of the same project, signed with X-Security-Token),
// and for the consumer side SDK_CONTRACT_CONSUMER_AK, SDK_CONTRACT_CONSUMER_SK,
// SDK_CONTRACT_CONSUMER_PROJECT_ID, SDK_CONTRACT_CONSUMER_DOMAIN_ID (a second account, in its own
// project) and SDK_CONTRACT_GATEWAY_SERVICE_ID (a Huawei-operated gateway service with endpoint policies).
// The simulator's loopback test controls (/_sim/) stand in for what only the cloud or a consumer does:
// finishing a create and connecting a consumer endpoint.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	vpcep "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/vpcep/v1"
)

func main() {
	os.Exit(run())
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run() int {
	endpoint := strings.TrimSuffix(os.Getenv("VPCEP_ENDPOINT"), "/")
	ak, sk, project := os.Getenv("HUAWEICLOUD_SDK_AK"), os.Getenv("HUAWEICLOUD_SDK_SK"), os.Getenv("HUAWEICLOUD_SDK_PROJECT_ID")
	if endpoint == "" || ak == "" || sk == "" || project == "" {
		fmt.Fprintln(os.Stderr, "sdk-contract: set VPCEP_ENDPOINT, HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID")
		return 2
	}
	capt := &capture{base: http.DefaultTransport}
	client, err := newClient(endpoint, capt, ak, sk, project, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk-contract: building the SDK client:", err)
		return 2
	}
	s := &scenario{
		c:        client,
		r:        newReporter(capt),
		ctl:      controls{base: endpoint, http: &http.Client{Timeout: 30 * time.Second}},
		region:   env("HUAWEICLOUD_REGION", "cn-north-4"),
		project:  project,
		consumer: "consumer" + strings.ReplaceAll(newUUID(), "-", "")[:16],
	}
	if tak, tsk, tok := os.Getenv("SDK_CONTRACT_TEMP_AK"), os.Getenv("SDK_CONTRACT_TEMP_SK"), os.Getenv("SDK_CONTRACT_TEMP_TOKEN"); tak != "" {
		if s.temp, err = newClient(endpoint, capt, tak, tsk, project, tok); err != nil {
			fmt.Fprintln(os.Stderr, "sdk-contract: building the temporary-credential client:", err)
			return 2
		}
	}
	if cak, csk, cproj := os.Getenv("SDK_CONTRACT_CONSUMER_AK"), os.Getenv("SDK_CONTRACT_CONSUMER_SK"), os.Getenv("SDK_CONTRACT_CONSUMER_PROJECT_ID"); cak != "" {
		if s.cons, err = newClient(endpoint, capt, cak, csk, cproj, ""); err != nil {
			fmt.Fprintln(os.Stderr, "sdk-contract: building the consumer client:", err)
			return 2
		}
		s.consProject = cproj
		s.consumer = env("SDK_CONTRACT_CONSUMER_DOMAIN_ID", s.consumer)
		s.gateway = os.Getenv("SDK_CONTRACT_GATEWAY_SERVICE_ID")
	}
	if s.wrong, err = newClient(endpoint, capt, ak, sk+"-wrong", project, ""); err != nil {
		fmt.Fprintln(os.Stderr, "sdk-contract: building the wrong-secret client:", err)
		return 2
	}
	if err := s.run(); err != nil {
		fmt.Fprintln(os.Stderr, "sdk-contract: scenario aborted:", err)
		_ = s.r.enc.Encode(Summary{Summary: true, Ops: s.r.results, Failed: s.r.failed + 1})
		return 2
	}
	_ = s.r.enc.Encode(Summary{Summary: true, Ops: s.r.results, Failed: s.r.failed})
	if s.r.failed > 0 {
		return 1
	}
	return 0
}

// newClient builds the SDK's VPCEP client the documented way: AK/SK basic credentials with the project
// id, the simulator's URL as the endpoint (plain http is allowed), no retries.
func newClient(endpoint string, rt http.RoundTripper, ak, sk, project, token string) (*vpcep.VpcepClient, error) {
	cb := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(project)
	if token != "" {
		cb = cb.WithSecurityToken(token)
	}
	creds, err := cb.SafeBuild()
	if err != nil {
		return nil, err
	}
	hc, err := vpcep.VpcepClientBuilder().
		WithEndpoints([]string{endpoint}).
		WithCredential(creds).
		WithHttpConfig(config.DefaultHttpConfig().WithHttpRoundTripper(rt).WithTimeout(30 * time.Second)).
		SafeBuild()
	if err != nil {
		return nil, err
	}
	return vpcep.NewVpcepClient(hc), nil
}

// controls calls the simulator's unsigned loopback test controls.
type controls struct {
	base string
	http *http.Client
}

func (c controls) do(method, path string, body any, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// newUUID returns a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func ptr[T any](v T) *T { return &v }
