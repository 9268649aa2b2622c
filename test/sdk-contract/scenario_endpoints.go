package main

import (
	"fmt"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/vpcep/v1/model"
)

// The consumer side: a second account (its own AK/SK, project and domain) connects endpoints to the
// provider's service and to a Huawei-operated gateway service. The simulator's clock does not move in
// this suite, so the control POST /_sim/endpoints/{id}/complete stands in for the create and delete
// delays (it runs the same transition the delay would).

// endpointState is what the endpoint steps share.
type endpointState struct {
	id, gatewayID string
	vpc, subnet   string
	marker        int32
	dnsName       string
}

func (s *scenario) complete(id string, out any) error {
	return s.ctl.do("POST", "/_sim/endpoints/"+id+"/complete", map[string]string{}, out)
}

// endpointQuota checks ListQuotaDetails for type endpoint with the consumer's credential.
func (s *scenario) endpointQuota(op string, wantUsed int32) {
	t := model.GetListQuotaDetailsRequestTypeEnum().ENDPOINT
	resp, err := s.cons.ListQuotaDetails(&model.ListQuotaDetailsRequest{Type: &t})
	s.r.expectOK(op, resp, err, ok200, func(c *checks) {
		if resp.Quotas == nil || resp.Quotas.Resources == nil || len(*resp.Quotas.Resources) != 1 {
			c.fail("quotas.resources does not hold exactly the endpoint entry")
			return
		}
		q := (*resp.Quotas.Resources)[0]
		c.str("type", q.Type, "endpoint")
		c.that(q.Used != nil && *q.Used == wantUsed, "used is not %d", wantUsed)
		c.that(q.Quota != nil && *q.Quota > 0, "quota is not a positive number")
	}, fmt.Sprintf("quotas.resources[endpoint] with used %d and quota", wantUsed))
}

func (s *scenario) endpoints() error {
	e := &endpointState{vpc: newUUID(), subnet: newUUID()}
	s.endpointQuota("ListQuotaDetails/endpoint", 0)
	s.createEndpoint(e)
	if e.id == "" {
		return fmt.Errorf("CreateEndpoint returned no id: nothing to go on")
	}
	s.getEndpoint("ListEndpointInfoDetails", e, "creating")
	{
		_, err := s.c.ListEndpointInfoDetails(&model.ListEndpointInfoDetailsRequest{VpcEndpointId: e.id})
		s.r.expectError("ListEndpointInfoDetails/otherProject", err, 404, "EndPoint.0005")
	}
	if err := s.complete(e.id, nil); err != nil {
		return err
	}
	s.endpointConnection("ListServiceConnections/endpoint", e, "pendingAcceptance", 1)
	{
		_, err := s.c.DeleteEndpointService(&model.DeleteEndpointServiceRequest{VpcEndpointServiceId: s.id})
		s.r.expectError("DeleteEndpointService/inUse", err, 400, "EndPoint.3006")
	}
	resp, err := s.c.AcceptOrRejectEndpoint(&model.AcceptOrRejectEndpointRequest{
		VpcEndpointServiceId: s.id,
		Body: &model.AcceptOrRejectEndpointRequestBody{
			Action: model.GetAcceptOrRejectEndpointRequestBodyActionEnum().RECEIVE, Endpoints: []string{e.id},
		},
	})
	s.r.expectOK("AcceptOrRejectEndpoint/receiveEndpoint", resp, err, ok200, func(c *checks) {
		c.that(resp.Connections != nil && len(*resp.Connections) == 1, "connections does not hold the endpoint")
		if resp.Connections != nil && len(*resp.Connections) == 1 {
			c.str("status", (*resp.Connections)[0].Status, "accepted")
		}
	}, "the provider accepts the consumer's endpoint")
	s.listEndpoints(e)
	s.endpointWhitelist(e)
	s.endpointTags(e)
	if err := s.gatewayEndpoint(e); err != nil {
		return err
	}
	s.endpointQuota("ListQuotaDetails/endpointAfterCreate", 1)
	del, err := s.cons.DeleteEndpoint(&model.DeleteEndpointRequest{VpcEndpointId: e.id})
	s.r.expectOK("DeleteEndpoint", del, err, ok200204, nil, "accepted without a body")
	s.getEndpoint("ListEndpointInfoDetails/afterDelete", e, "deleting")
	if err := s.complete(e.id, nil); err != nil {
		return err
	}
	{
		_, err := s.cons.ListEndpointInfoDetails(&model.ListEndpointInfoDetailsRequest{VpcEndpointId: e.id})
		s.r.expectError("ListEndpointInfoDetails/missing", err, 404, "EndPoint.0005")
	}
	s.endpointConnection("ListServiceConnections/afterEndpointDelete", e, "", 0)
	return nil
}

func (s *scenario) createEndpoint(e *endpointState) {
	resp, err := s.cons.CreateEndpoint(&model.CreateEndpointRequest{Body: &model.CreateEndpointRequestBody{
		EndpointServiceId: s.id,
		VpcId:             e.vpc,
		SubnetId:          ptr(e.subnet),
		EnableDns:         ptr(true),
		EnableWhitelist:   ptr(true),
		Whitelist:         &[]string{"192.168.0.0/24"},
		Description:       ptr("endpoint of the Go SDK"),
		Tags:              &[]model.TagList{{Key: ptr("env"), Value: ptr("consumer")}},
	}})
	s.r.expectOK("CreateEndpoint", resp, err, ok200, func(c *checks) {
		e.id = c.str("id", resp.Id, "")
		c.str("status", resp.Status, "creating")
		c.str("service_type", resp.ServiceType, "interface")
		c.str("endpoint_service_id", resp.EndpointServiceId, s.id)
		c.str("endpoint_service_name", resp.EndpointServiceName, s.name)
		c.str("vpc_id", resp.VpcId, e.vpc)
		c.str("subnet_id", resp.SubnetId, e.subnet)
		c.str("project_id", resp.ProjectId, s.consProject)
		c.str("description", resp.Description, "endpoint of the Go SDK")
		c.that(resp.MarkerId != nil && *resp.MarkerId > 0, "marker_id is not set")
		if resp.MarkerId != nil {
			e.marker = *resp.MarkerId
		}
		c.that(resp.EnableDns != nil && *resp.EnableDns, "enable_dns is not true")
		c.that(resp.EnableWhitelist != nil && *resp.EnableWhitelist, "enable_whitelist is not true")
		c.that(resp.Whitelist != nil && strings.Join(*resp.Whitelist, ",") == "192.168.0.0/24", "whitelist is not the one sent")
		c.that(resp.Ip == nil, "ip is shown before the connection is accepted")
		c.that(tagsHave(resp.Tags, "env", "consumer"), "tags do not hold env=consumer")
		c.set("created_at", resp.CreatedAt != nil)
		c.set("updated_at", resp.UpdatedAt != nil)
	}, "id, status creating, the service's id and full name, vpc, subnet, consumer project, marker_id, whitelist, tags")
}

func (s *scenario) getEndpoint(op string, e *endpointState, want string) {
	resp, err := s.cons.ListEndpointInfoDetails(&model.ListEndpointInfoDetailsRequest{VpcEndpointId: e.id})
	s.r.expectOK(op, resp, err, ok200, func(c *checks) {
		c.str("id", resp.Id, e.id)
		c.str("status", resp.Status, want)
		c.str("endpoint_service_name", resp.EndpointServiceName, s.name)
		c.that(resp.MarkerId != nil && *resp.MarkerId == e.marker, "marker_id is not the create's")
		c.that(resp.DnsNames != nil && len(*resp.DnsNames) == 1 && strings.HasPrefix((*resp.DnsNames)[0], e.id+"."),
			"dns_names does not hold one name starting with the endpoint id")
		if resp.DnsNames != nil && len(*resp.DnsNames) == 1 {
			e.dnsName = (*resp.DnsNames)[0]
		}
		c.that(resp.ActiveStatus != nil && len(*resp.ActiveStatus) == 1, "active_status is not set")
		c.str("enable_status", resp.EnableStatus, "")
	}, "id, status "+want+", endpoint_service_name, marker_id, one dns name, active_status, enable_status")
}

// endpointConnection checks the provider's view of the endpoint: its connection (want "" and n 0: none).
func (s *scenario) endpointConnection(op string, e *endpointState, want string, n int32) {
	list, err := s.c.ListServiceConnections(&model.ListServiceConnectionsRequest{
		VpcEndpointServiceId: s.id, Id: ptr(e.id), Limit: ptr(int32(10)), Offset: ptr(int32(0)),
	})
	s.r.expectOK(op, list, err, ok200, func(c *checks) {
		c.that(list.TotalCount != nil && *list.TotalCount == n, "total_count is not %d", n)
		if n == 0 {
			c.that(list.Connections == nil || len(*list.Connections) == 0, "the connection is still listed")
			return
		}
		if list.Connections == nil || len(*list.Connections) != 1 {
			c.fail("connections does not hold the endpoint's connection")
			return
		}
		it := (*list.Connections)[0]
		c.str("id", it.Id, e.id)
		c.str("status", it.Status, want)
		c.str("domain_id", it.DomainId, s.consumer)
		c.that(it.MarkerId != nil && *it.MarkerId == e.marker, "marker_id is not the endpoint's")
	}, fmt.Sprintf("the service lists %d connection(s) for the endpoint (id, status %s, consumer domain, marker)", n, want))
}

func (s *scenario) listEndpoints(e *endpointState) {
	key := model.GetListEndpointsRequestSortKeyEnum().CREATE_AT
	dir := model.GetListEndpointsRequestSortDirEnum().DESC
	resp, err := s.cons.ListEndpoints(&model.ListEndpointsRequest{
		EndpointServiceName: ptr("SDKRENAMED"), VpcId: ptr(e.vpc), SortKey: &key, SortDir: &dir,
		Limit: ptr(int32(10)), Offset: ptr(int32(0)),
	})
	s.r.expectOK("ListEndpoints", resp, err, ok200, func(c *checks) {
		c.that(resp.TotalCount != nil && *resp.TotalCount == 1, "total_count is not 1")
		if resp.Endpoints == nil || len(*resp.Endpoints) != 1 {
			c.fail("endpoints does not hold the one endpoint")
			return
		}
		it := (*resp.Endpoints)[0]
		c.str("id", it.Id, e.id)
		c.str("status", it.Status, "accepted")
		c.str("ip", it.Ip, "")
		c.that(it.DnsNames != nil && len(*it.DnsNames) == 1 && (*it.DnsNames)[0] == e.dnsName, "dns_names changed")
		c.str("subnet_id", it.SubnetId, e.subnet)
	}, "total_count 1 by fuzzy service name and VPC; the item accepted, with its ip and dns name")
}

func (s *scenario) endpointWhitelist(e *endpointState) {
	resp, err := s.cons.UpdateEndpointWhite(&model.UpdateEndpointWhiteRequest{
		VpcEndpointId: e.id,
		Body: &model.UpdateEndpointWhiteRequestBody{
			Whitelist: &[]string{"10.0.0.0/8", "192.168.1.1"}, EnableWhitelist: ptr(true),
		},
	})
	s.r.expectOK("UpdateEndpointWhite", resp, err, ok200, func(c *checks) {
		c.str("id", resp.Id, e.id)
		c.str("status", resp.Status, "accepted")
		c.that(resp.Whitelist != nil && strings.Join(*resp.Whitelist, ",") == "10.0.0.0/8,192.168.1.1", "whitelist is not the new one")
		c.that(resp.EnableWhitelist != nil && *resp.EnableWhitelist, "enable_whitelist is not true")
		c.that(resp.DnsNames != nil && len(*resp.DnsNames) == 1, "dns_names is missing")
	}, "the endpoint with the new whitelist")
}

func (s *scenario) endpointTagAction(op, id string, action model.BatchAddOrRemoveResourceInstanceRequestBodyAction, tag model.ResourceTag) {
	resp, err := s.cons.BatchAddOrRemoveResourceInstance(&model.BatchAddOrRemoveResourceInstanceRequest{
		ResourceType: model.GetBatchAddOrRemoveResourceInstanceRequestResourceTypeEnum().ENDPOINT,
		ResourceId:   id,
		Body:         &model.BatchAddOrRemoveResourceInstanceRequestBody{Action: action, Tags: &[]model.ResourceTag{tag}},
	})
	s.r.expectOK(op, resp, err, ok200204, nil, "answered without a body")
}

func (s *scenario) endpointTags(e *endpointState) {
	actions := model.GetBatchAddOrRemoveResourceInstanceRequestBodyActionEnum()
	s.endpointTagAction("BatchAddOrRemoveResourceInstance/endpointCreate", e.id, actions.CREATE, model.ResourceTag{Key: "team", Value: ptr("consumers")})

	ptags, err := s.cons.ListQueryProjectResourceTags(&model.ListQueryProjectResourceTagsRequest{
		ResourceType: model.GetListQueryProjectResourceTagsRequestResourceTypeEnum().ENDPOINT,
	})
	s.r.expectOK("ListQueryProjectResourceTags/endpoint", ptags, err, ok200, func(c *checks) {
		found := map[string]string{}
		if ptags.Tags != nil {
			for _, t := range *ptags.Tags {
				found[t.Key] = strings.Join(t.Values, ",")
			}
		}
		c.that(found["env"] == "consumer" && found["team"] == "consumers" && len(found) == 2,
			"tags = %v, want exactly env=[consumer] and team=[consumers]", found)
	}, "the consumer project's endpoint tags: env and team")

	queries := model.GetQueryResourceInstanceTagsBodyActionEnum()
	for _, isFilter := range []bool{true, false} {
		body := &model.QueryResourceInstanceTagsBody{
			Action: queries.COUNT,
			Tags:   &[]model.TagValuesList{{Key: "team", Values: []string{"consumers"}}},
		}
		op, what := "ListResourceInstances/endpointCount", "total_count 1"
		if isFilter {
			body.Action, body.Limit, body.Offset = queries.FILTER, ptr("10"), ptr("0")
			op, what = "ListResourceInstances/endpointFilter", "total_count 1; resources[0] is the endpoint, named by its id"
		}
		resp, err := s.cons.ListResourceInstances(&model.ListResourceInstancesRequest{
			ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().ENDPOINT, Body: body,
		})
		s.r.expectOK(op, resp, err, ok200, func(c *checks) {
			c.that(resp.TotalCount != nil && *resp.TotalCount == 1, "total_count is not 1")
			if !isFilter {
				return
			}
			if resp.Resources == nil || len(*resp.Resources) != 1 {
				c.fail("resources does not hold the one endpoint")
				return
			}
			it := (*resp.Resources)[0]
			c.str("resource_id", it.ResourceId, e.id)
			c.str("resource_name", it.ResourceName, e.id)
			c.that(tagsHave(it.Tags, "team", "consumers"), "the resource's tags do not hold team=consumers")
		}, what)
	}
	s.endpointTagAction("BatchAddOrRemoveResourceInstance/endpointDelete", e.id, actions.DELETE, model.ResourceTag{Key: "team"})
}

// gatewayEndpoint connects to the Huawei-operated gateway service: route tables and a policy.
func (s *scenario) gatewayEndpoint(e *endpointState) error {
	allow := model.GetPolicyStatementEffectEnum().ALLOW
	rt1, rt2, rt3 := newUUID(), newUUID(), newUUID()
	resp, err := s.cons.CreateEndpoint(&model.CreateEndpointRequest{Body: &model.CreateEndpointRequestBody{
		EndpointServiceId: s.gateway,
		VpcId:             e.vpc,
		Routetables:       &[]string{rt1},
		PolicyStatement: &[]model.PolicyStatement{
			{Effect: allow, Action: []string{"obs:object:GetObject"}, Resource: []string{"bucket/*"}},
		},
	}})
	s.r.expectOK("CreateEndpoint/gateway", resp, err, ok200, func(c *checks) {
		e.gatewayID = c.str("id", resp.Id, "")
		c.str("status", resp.Status, "creating")
		c.str("service_type", resp.ServiceType, "gateway")
		c.str("endpoint_service_id", resp.EndpointServiceId, s.gateway)
		c.that(resp.Routetables != nil && strings.Join(*resp.Routetables, ",") == rt1, "routetables is not the one sent")
		c.that(resp.PolicyStatement != nil && len(*resp.PolicyStatement) == 1 &&
			(*resp.PolicyStatement)[0].Effect.Value() == "Allow", "policy_statement is not the one sent")
		c.that(resp.SubnetId == nil && resp.Whitelist == nil && resp.Ip == nil, "a gateway endpoint shows subnet, whitelist or ip")
	}, "a gateway endpoint: id, status creating, service_type gateway, routetables, policy_statement")
	if e.gatewayID == "" {
		return fmt.Errorf("CreateEndpoint/gateway returned no id")
	}
	if err := s.complete(e.gatewayID, nil); err != nil {
		return err
	}
	rts, err := s.cons.UpdateEndpointRoutetable(&model.UpdateEndpointRoutetableRequest{
		VpcEndpointId: e.gatewayID,
		Body:          &model.UpdateEndpointRoutetableRequestBody{Routetables: []string{rt2, rt3}},
	})
	s.r.expectOK("UpdateEndpointRoutetable", rts, err, ok200, func(c *checks) {
		c.that(rts.Routetables != nil && strings.Join(*rts.Routetables, ",") == rt2+","+rt3, "routetables is not the new list")
		c.that(rts.Error == nil, "error is set")
	}, "routetables is the new list, no error")
	pol, err := s.cons.UpdateEndpointPolicy(&model.UpdateEndpointPolicyRequest{
		VpcEndpointId: e.gatewayID,
		Body: &model.UpdateEndpointPolicyRequestBody{PolicyStatement: &[]model.PolicyStatement{
			{Effect: allow, Action: []string{"obs:*:*"}, Resource: []string{"bucket", "bucket/*"}, Sid: ptr("all")},
		}},
	})
	s.r.expectOK("UpdateEndpointPolicy", pol, err, ok200, func(c *checks) {
		c.str("id", pol.Id, e.gatewayID)
		c.str("status", pol.Status, "accepted")
		c.that(pol.PolicyStatement != nil && len(*pol.PolicyStatement) == 1 && len((*pol.PolicyStatement)[0].Resource) == 2,
			"policy_statement is not the new one")
		c.that(pol.Routetables != nil && len(*pol.Routetables) == 2, "routetables are not the two bound")
	}, "the endpoint with the new policy_statement and its route tables")
	dp, err := s.cons.DeleteEndpointPolicy(&model.DeleteEndpointPolicyRequest{VpcEndpointId: e.gatewayID})
	s.r.expectOK("DeleteEndpointPolicy", dp, err, ok200, func(c *checks) {
		c.str("id", dp.Id, e.gatewayID)
		c.that(dp.PolicyStatement == nil && dp.PolicyDocument == nil, "a policy is still set")
	}, "the endpoint without a policy")
	del, err := s.cons.DeleteEndpoint(&model.DeleteEndpointRequest{VpcEndpointId: e.gatewayID})
	s.r.expectOK("DeleteEndpoint/gateway", del, err, ok200204, nil, "accepted without a body")
	return s.complete(e.gatewayID, nil)
}

// endpointNotWhitelisted runs once the consumer's whitelist entry is gone: its create is refused.
func (s *scenario) endpointNotWhitelisted() {
	_, err := s.cons.CreateEndpoint(&model.CreateEndpointRequest{Body: &model.CreateEndpointRequestBody{
		EndpointServiceId: s.id, VpcId: newUUID(), SubnetId: ptr(newUUID()),
	}})
	s.r.expectError("CreateEndpoint/notWhitelisted", err, 400, "EndPoint.2012")
}
