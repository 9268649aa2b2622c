package main

import (
	"fmt"
	"strings"

	vpcep "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/vpcep/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/vpcep/v1/model"
)

// scenario is one pass over every operation the simulator serves, in an order that gives each call
// something to act on: quotas, create, get, list, update, rename, describe, public services, tags and
// tag queries, the whitelist, connections, the consumer's endpoints (scenario_endpoints.go), delete.
type scenario struct {
	// c is the provider's client; cons (optional) a consumer account's, in its own project.
	c, temp, wrong, cons *vpcep.VpcepClient
	r                    *reporter
	ctl                  controls
	region               string
	project              string
	consumer             string
	consProject          string
	// gateway is the id of a Huawei-operated gateway service with endpoint policies.
	gateway string

	id, name string
}

var (
	ok200    = []int{200}
	ok200204 = []int{200, 204}
)

func tagsHave(tags *[]model.TagList, key, value string) bool {
	if tags == nil {
		return false
	}
	for _, t := range *tags {
		if t.Key != nil && *t.Key == key && t.Value != nil && *t.Value == value {
			return true
		}
	}
	return false
}

func (s *scenario) run() error {
	usedBefore := s.quotas("ListQuotaDetails", -1)
	s.create()
	if s.id == "" {
		return fmt.Errorf("CreateEndpointService returned no id: nothing to go on")
	}
	s.quotas("ListQuotaDetails/afterCreate", usedBefore+1)
	s.get("ListServiceDetails", "creating")
	{
		_, err := s.c.ListServiceDetails(&model.ListServiceDetailsRequest{VpcEndpointServiceId: newUUID()})
		s.r.expectError("ListServiceDetails/missing", err, 404, "EndPoint.0005")
	}
	{
		_, err := s.wrong.ListQuotaDetails(&model.ListQuotaDetailsRequest{})
		s.r.expectError("ListQuotaDetails/wrongSecret", err, 401, "APIGW.0301")
	}
	// The cloud takes a minute or two to build the service; the simulator's control finishes it now.
	if err := s.ctl.do("PATCH", "/_sim/services/"+s.id, map[string]string{"status": "available"}, nil); err != nil {
		return err
	}
	s.list()
	s.update()
	s.rename()
	s.describe()
	s.public()
	s.tags()
	s.whitelist()
	if err := s.connections(); err != nil {
		return err
	}
	if s.cons != nil {
		if err := s.endpoints(); err != nil {
			return err
		}
	}
	s.permissionAction("AddOrRemoveServicePermissions/remove", model.GetAddOrRemoveServicePermissionsRequestBodyActionEnum().REMOVE, "iam:domain::"+s.consumer, false)
	if s.cons != nil {
		s.endpointNotWhitelisted()
	}
	if s.temp != nil {
		resp, err := s.temp.ListQuotaDetails(&model.ListQuotaDetailsRequest{})
		s.r.expectOK("ListQuotaDetails/securityToken", resp, err, ok200, func(c *checks) {
			c.that(resp.Quotas != nil && resp.Quotas.Resources != nil && len(*resp.Quotas.Resources) == 2,
				"quotas.resources does not hold endpoint_service and endpoint")
		}, "a temporary credential's request (X-Security-Token signed) is accepted")
	}
	s.remove()
	return nil
}

// quotas checks ListQuotaDetails for endpoint_service; wantUsed < 0 means any. Returns `used`.
func (s *scenario) quotas(op string, wantUsed int32) int32 {
	t := model.GetListQuotaDetailsRequestTypeEnum().ENDPOINT_SERVICE
	resp, err := s.c.ListQuotaDetails(&model.ListQuotaDetailsRequest{Type: &t})
	used := int32(0)
	s.r.expectOK(op, resp, err, ok200, func(c *checks) {
		if resp.Quotas == nil || resp.Quotas.Resources == nil || len(*resp.Quotas.Resources) != 1 {
			c.fail("quotas.resources does not hold exactly the endpoint_service entry")
			return
		}
		q := (*resp.Quotas.Resources)[0]
		c.str("type", q.Type, "endpoint_service")
		c.set("used", q.Used != nil)
		c.that(q.Quota != nil && *q.Quota > 0, "quota is not a positive number")
		if q.Used != nil {
			used = *q.Used
			c.that(wantUsed < 0 || used == wantUsed, "used = %d, want %d", used, wantUsed)
		}
	}, "quotas.resources[endpoint_service] with used and quota")
	return used
}

func (s *scenario) create() {
	lb := model.GetCreateEndpointServiceRequestBodyServerTypeEnum().LB
	itf := model.GetCreateEndpointServiceRequestBodyServiceTypeEnum().INTERFACE
	proxy := model.GetCreateEndpointServiceRequestBodyTcpProxyEnum().PROXY_OPEN
	tcp := model.GetPortListProtocolEnum().TCP
	vpc, port := newUUID(), newUUID()
	resp, err := s.c.CreateEndpointService(&model.CreateEndpointServiceRequest{Body: &model.CreateEndpointServiceRequestBody{
		PortId:          port,
		VpcId:           vpc,
		ServiceName:     ptr("sdkcontract"),
		ApprovalEnabled: ptr(true),
		ServiceType:     &itf,
		ServerType:      lb,
		Ports: []model.PortList{
			{ClientPort: ptr(int32(8080)), ServerPort: ptr(int32(80)), Protocol: &tcp},
			{ClientPort: ptr(int32(8443)), ServerPort: ptr(int32(443)), Protocol: &tcp},
		},
		TcpProxy:    &proxy,
		Tags:        &[]model.TagList{{Key: ptr("env"), Value: ptr("contract")}},
		Description: ptr("created by the Go SDK"),
	}})
	s.r.expectOK("CreateEndpointService", resp, err, ok200, func(c *checks) {
		s.id = c.str("id", resp.Id, "")
		c.str("status", resp.Status, "creating")
		c.str("service_name", resp.ServiceName, s.region+".sdkcontract."+s.id)
		c.str("port_id", resp.PortId, port)
		c.str("vpc_id", resp.VpcId, vpc)
		c.str("pool_id", resp.PoolId, "")
		c.str("server_type", resp.ServerType, "LB")
		c.str("service_type", resp.ServiceType, "interface")
		c.str("tcp_proxy", resp.TcpProxy, "proxy_open")
		c.str("project_id", resp.ProjectId, s.project)
		c.str("description", resp.Description, "created by the Go SDK")
		c.that(resp.ApprovalEnabled != nil && *resp.ApprovalEnabled, "approval_enabled is not true")
		c.set("created_at", resp.CreatedAt != nil)
		c.set("updated_at", resp.UpdatedAt != nil)
		if resp.Ports == nil || len(*resp.Ports) != 2 {
			c.fail("ports do not echo the two mappings")
		} else {
			p := (*resp.Ports)[0]
			c.that(p.ClientPort != nil && *p.ClientPort == 8080 && p.ServerPort != nil && *p.ServerPort == 80 &&
				p.Protocol != nil && p.Protocol.Value() == "TCP", "ports[0] is not 8080 -> 80 TCP")
		}
		c.that(tagsHave(resp.Tags, "env", "contract"), "tags do not hold env=contract")
	}, "id, status creating, full service_name, pool_id, ports, tags, timestamps")
	s.name = s.region + ".sdkcontract." + s.id
}

func (s *scenario) get(op, wantStatus string) {
	resp, err := s.c.ListServiceDetails(&model.ListServiceDetailsRequest{VpcEndpointServiceId: s.id})
	s.r.expectOK(op, resp, err, ok200, func(c *checks) {
		c.str("id", resp.Id, s.id)
		c.str("status", resp.Status, wantStatus)
		c.str("service_name", resp.ServiceName, s.name)
		c.str("cidr_type", resp.CidrType, "")
		c.set("supported_editions", resp.SupportedEditions != nil && len(*resp.SupportedEditions) > 0)
		c.set("created_at", resp.CreatedAt != nil)
		c.that(resp.Ports != nil && len(*resp.Ports) > 0, "ports are missing")
		c.that(tagsHave(resp.Tags, "env", "contract"), "tags do not hold env=contract")
	}, "id, status "+wantStatus+", service_name, ports, tags, supported_editions, cidr_type")
}

func (s *scenario) list() {
	st := model.GetListEndpointServiceRequestStatusEnum().AVAILABLE
	key := model.GetListEndpointServiceRequestSortKeyEnum().CREATE_AT
	dir := model.GetListEndpointServiceRequestSortDirEnum().DESC
	resp, err := s.c.ListEndpointService(&model.ListEndpointServiceRequest{
		EndpointServiceName: ptr("sdkcontract"), Status: &st, SortKey: &key, SortDir: &dir,
		Limit: ptr(int32(10)), Offset: ptr(int32(0)),
	})
	s.r.expectOK("ListEndpointService", resp, err, ok200, func(c *checks) {
		c.that(resp.TotalCount != nil && *resp.TotalCount == 1, "total_count is not 1")
		if resp.EndpointServices == nil || len(*resp.EndpointServices) != 1 {
			c.fail("endpoint_services does not hold the one service")
			return
		}
		it := (*resp.EndpointServices)[0]
		c.str("id", it.Id, s.id)
		c.str("status", it.Status, "available")
		c.str("service_name", it.ServiceName, s.name)
		c.str("domain_id", it.DomainId, "")
		c.str("public_border_group", it.PublicBorderGroup, "")
		c.that(it.ConnectionCount != nil && *it.ConnectionCount == 0, "connection_count is not 0")
	}, "total_count 1; the item's id, status available, domain_id, connection_count")
}

func (s *scenario) update() {
	tcp := model.GetPortListProtocolEnum().TCP
	resp, err := s.c.UpdateEndpointService(&model.UpdateEndpointServiceRequest{
		VpcEndpointServiceId: s.id,
		Body: &model.UpdateEndpointServiceRequestBody{
			ApprovalEnabled: ptr(true),
			Description:     ptr("updated by the Go SDK"),
			Ports: &[]model.PortList{
				{ClientPort: ptr(int32(8080)), ServerPort: ptr(int32(80)), Protocol: &tcp},
				{ClientPort: ptr(int32(8443)), ServerPort: ptr(int32(443)), Protocol: &tcp},
				{ClientPort: ptr(int32(9090)), ServerPort: ptr(int32(90)), Protocol: &tcp},
			},
		},
	})
	s.r.expectOK("UpdateEndpointService", resp, err, ok200, func(c *checks) {
		c.str("id", resp.Id, s.id)
		c.str("status", resp.Status, "available")
		c.str("description", resp.Description, "updated by the Go SDK")
		c.that(resp.Ports != nil && len(*resp.Ports) == 3, "ports are not the three sent")
	}, "the full object with the new description and ports")
}

func (s *scenario) rename() {
	resp, err := s.c.UpdateEndpointServiceName(&model.UpdateEndpointServiceNameRequest{
		VpcEndpointServiceId: s.id,
		Body:                 &model.UpdateEndpointServiceNameRequestBody{EndpointServiceName: ptr("sdkrenamed")},
	})
	s.name = s.region + ".sdkrenamed." + s.id
	s.r.expectOK("UpdateEndpointServiceName", resp, err, ok200, func(c *checks) {
		c.str("endpoint_service_name", resp.EndpointServiceName, s.name)
	}, "endpoint_service_name is the new full name")
}

func (s *scenario) describe() {
	for _, v := range []struct {
		op  string
		req *model.ListServiceDescribeDetailsRequest
	}{
		{"ListServiceDescribeDetails/byId", &model.ListServiceDescribeDetailsRequest{Id: ptr(s.id)}},
		{"ListServiceDescribeDetails/byName", &model.ListServiceDescribeDetailsRequest{EndpointServiceName: ptr(s.name)}},
	} {
		resp, err := s.c.ListServiceDescribeDetails(v.req)
		s.r.expectOK(v.op, resp, err, ok200, func(c *checks) {
			c.str("id", resp.Id, s.id)
			c.str("service_name", resp.ServiceName, s.name)
			c.str("service_type", resp.ServiceType, "interface")
			c.set("is_charge", resp.IsCharge != nil)
			c.set("enable_policy", resp.EnablePolicy != nil)
			c.set("created_at", resp.CreatedAt != nil)
		}, "id, full service_name, service_type, is_charge, enable_policy, created_at")
	}
}

func (s *scenario) public() {
	resp, err := s.c.ListServicePublicDetails(&model.ListServicePublicDetailsRequest{Limit: ptr(int32(10)), Offset: ptr(int32(0))})
	s.r.expectOK("ListServicePublicDetails", resp, err, ok200, func(c *checks) {
		c.that(resp.TotalCount != nil && *resp.TotalCount >= 1, "total_count is not at least 1")
		if resp.EndpointServices == nil || len(*resp.EndpointServices) == 0 {
			c.fail("endpoint_services is empty")
			return
		}
		it := (*resp.EndpointServices)[0]
		id := c.str("id", it.Id, "")
		c.str("owner", it.Owner, "")
		c.that(it.ServiceName != nil && strings.HasPrefix(*it.ServiceName, s.region+".") && strings.HasSuffix(*it.ServiceName, "."+id),
			"service_name is not a full name")
		c.str("service_type", it.ServiceType, "")
		c.set("is_charge", it.IsCharge != nil)
	}, "total_count; items with id, owner, full service_name, service_type, is_charge")
}

// tagAction calls tags/action (BatchAddOrRemoveResourceInstance) on the service: no body comes back.
func (s *scenario) tagAction(op string, action model.BatchAddOrRemoveResourceInstanceRequestBodyAction, tag model.ResourceTag) {
	resp, err := s.c.BatchAddOrRemoveResourceInstance(&model.BatchAddOrRemoveResourceInstanceRequest{
		ResourceType: model.GetBatchAddOrRemoveResourceInstanceRequestResourceTypeEnum().ENDPOINT_SERVICE,
		ResourceId:   s.id,
		Body:         &model.BatchAddOrRemoveResourceInstanceRequestBody{Action: action, Tags: &[]model.ResourceTag{tag}},
	})
	s.r.expectOK(op, resp, err, ok200204, nil, "answered without a body")
}

func (s *scenario) tags() {
	actions := model.GetBatchAddOrRemoveResourceInstanceRequestBodyActionEnum()
	s.tagAction("BatchAddOrRemoveResourceInstance/create", actions.CREATE, model.ResourceTag{Key: "team", Value: ptr("sdk")})

	prt := model.GetListQueryProjectResourceTagsRequestResourceTypeEnum().ENDPOINT_SERVICE
	ptags, err := s.c.ListQueryProjectResourceTags(&model.ListQueryProjectResourceTagsRequest{ResourceType: prt})
	s.r.expectOK("ListQueryProjectResourceTags", ptags, err, ok200, func(c *checks) {
		found := map[string]string{}
		if ptags.Tags != nil {
			for _, t := range *ptags.Tags {
				found[t.Key] = strings.Join(t.Values, ",")
			}
		}
		c.that(found["env"] == "contract" && found["team"] == "sdk", "tags = %v, want env=[contract] and team=[sdk]", found)
	}, "tags[{key, values}] holds env and team")

	lrt := model.GetListResourceInstancesRequestResourceTypeEnum().ENDPOINT_SERVICE
	queries := model.GetQueryResourceInstanceTagsBodyActionEnum()
	for _, isFilter := range []bool{true, false} {
		body := &model.QueryResourceInstanceTagsBody{
			Action:  queries.COUNT,
			Tags:    &[]model.TagValuesList{{Key: "env", Values: []string{"contract"}}},
			Matches: &[]model.Match{{Key: "resource_name", Value: "sdkrenamed"}},
		}
		op, what := "ListResourceInstances/count", "total_count 1"
		if isFilter {
			body.Action, body.Limit, body.Offset = queries.FILTER, ptr("10"), ptr("0")
			op, what = "ListResourceInstances/filter", "total_count 1; resources[0] is the service with its tags"
		}
		resp, err := s.c.ListResourceInstances(&model.ListResourceInstancesRequest{ResourceType: lrt, Body: body})
		s.r.expectOK(op, resp, err, ok200, func(c *checks) {
			c.that(resp.TotalCount != nil && *resp.TotalCount == 1, "total_count is not 1")
			if !isFilter {
				return
			}
			if resp.Resources == nil || len(*resp.Resources) != 1 {
				c.fail("resources does not hold the one service")
				return
			}
			it := (*resp.Resources)[0]
			c.str("resource_id", it.ResourceId, s.id)
			c.str("resource_name", it.ResourceName, s.name)
			c.that(tagsHave(it.Tags, "team", "sdk"), "the resource's tags do not hold team=sdk")
		}, what)
	}

	s.tagAction("BatchAddOrRemoveResourceInstance/delete", actions.DELETE, model.ResourceTag{Key: "team"})
}

func (s *scenario) permissionAction(op string, action model.AddOrRemoveServicePermissionsRequestBodyAction, entry string, present bool) {
	pt := model.GetAddOrRemoveServicePermissionsRequestBodyPermissionTypeEnum().DOMAIN_ID
	resp, err := s.c.AddOrRemoveServicePermissions(&model.AddOrRemoveServicePermissionsRequest{
		VpcEndpointServiceId: s.id,
		Body: &model.AddOrRemoveServicePermissionsRequestBody{
			Permissions: []string{entry}, PermissionType: &pt, Action: action,
		},
	})
	s.r.expectOK(op, resp, err, ok200, func(c *checks) {
		c.str("permission_type", resp.PermissionType, "domainId")
		c.set("permissions", resp.Permissions != nil)
		has := false
		if resp.Permissions != nil {
			for _, p := range *resp.Permissions {
				has = has || p == entry
			}
		}
		c.that(has == present, "permissions holds %s: %v, want %v", entry, has, present)
	}, fmt.Sprintf("permissions (entry present: %v) and permission_type domainId", present))
}

func (s *scenario) whitelist() {
	acts := model.GetAddOrRemoveServicePermissionsRequestBodyActionEnum()
	entry := "iam:domain::" + s.consumer
	s.permissionAction("AddOrRemoveServicePermissions/add", acts.ADD, entry, true)

	list, err := s.c.ListServicePermissionsDetails(&model.ListServicePermissionsDetailsRequest{
		VpcEndpointServiceId: s.id, Limit: ptr(int32(500)), Offset: ptr(int32(0)),
	})
	s.r.expectOK("ListServicePermissionsDetails", list, err, ok200, func(c *checks) {
		c.that(list.TotalCount != nil && *list.TotalCount == 1, "total_count is not 1")
		if list.Permissions == nil || len(*list.Permissions) != 1 {
			c.fail("permissions does not hold the one entry")
			return
		}
		p := (*list.Permissions)[0]
		c.str("id", p.Id, "")
		c.str("permission", p.Permission, entry)
		c.str("permission_type", p.PermissionType, "domainId")
		c.set("created_at", p.CreatedAt != nil)
	}, "total_count 1; the entry's id, permission, permission_type, created_at")

	other := "iam:domain::other" + s.consumer
	pt := model.GetBatchAddEndpointServicePermissionsRequestBodyPermissionTypeEnum().DOMAIN_ID
	bc, err := s.c.BatchAddEndpointServicePermissions(&model.BatchAddEndpointServicePermissionsRequest{
		VpcEndpointServiceId: s.id,
		Body: &model.BatchAddEndpointServicePermissionsRequestBody{
			Permissions:    []model.EpsAddPermissionRequest{{Permission: other, Description: "added in a batch"}},
			PermissionType: &pt,
		},
	})
	pid := ""
	s.r.expectOK("BatchAddEndpointServicePermissions", bc, err, ok200, func(c *checks) {
		if bc.Permissions == nil || len(*bc.Permissions) != 1 {
			c.fail("permissions does not hold the one entry created")
			return
		}
		p := (*bc.Permissions)[0]
		pid = c.str("id", p.Id, "")
		c.str("permission", p.Permission, other)
		c.str("description", p.Description, "added in a batch")
		c.that(p.PermissionType != nil && p.PermissionType.Value() == "domainId", "permission_type is not domainId")
		c.set("created_at", p.CreatedAt != nil)
	}, "permissions[0] with id, permission, description, permission_type, created_at")
	if pid == "" {
		pid = newUUID()
	}

	upd, err := s.c.UpdateEndpointServicePermissionDesc(&model.UpdateEndpointServicePermissionDescRequest{
		VpcEndpointServiceId: s.id, PermissionId: pid,
		Body: &model.UpdateEndpointServicePermissionDescRequestBody{Permission: &model.EpsUpdatePermissionDesc{Description: "described again"}},
	})
	s.r.expectOK("UpdateEndpointServicePermissionDesc", upd, err, ok200, func(c *checks) {
		if upd.Permissions == nil || len(*upd.Permissions) != 1 {
			c.fail("permissions does not hold the entry updated")
			return
		}
		p := (*upd.Permissions)[0]
		c.str("id", p.Id, pid)
		c.str("permission", p.Permission, other)
		c.str("description", p.Description, "described again")
	}, "permissions[0] is the entry with its new description")

	bd, err := s.c.BatchRemoveEndpointServicePermissions(&model.BatchRemoveEndpointServicePermissionsRequest{
		VpcEndpointServiceId: s.id,
		Body:                 &model.BatchRemoveEndpointServicePermissionsRequestBody{Permissions: []model.EpsRemovePermissionRequest{{Id: pid}}},
	})
	s.r.expectOK("BatchRemoveEndpointServicePermissions", bd, err, ok200, func(c *checks) {
		if bd.Permissions == nil || len(*bd.Permissions) != 1 {
			c.fail("permissions does not hold the entry removed")
			return
		}
		c.str("id", (*bd.Permissions)[0].Id, pid)
		c.str("permission", (*bd.Permissions)[0].Permission, other)
	}, "permissions holds the entry removed")
}

func (s *scenario) connections() error {
	var conn struct {
		ID string `json:"id"`
	}
	// A consumer (whitelisted above) connects an endpoint: only a consumer account can do that.
	if err := s.ctl.do("POST", "/_sim/services/"+s.id+"/connections", map[string]string{"domainId": s.consumer}, &conn); err != nil {
		return err
	}
	list, err := s.c.ListServiceConnections(&model.ListServiceConnectionsRequest{
		VpcEndpointServiceId: s.id, Limit: ptr(int32(10)), Offset: ptr(int32(0)),
	})
	s.r.expectOK("ListServiceConnections", list, err, ok200, func(c *checks) {
		c.that(list.TotalCount != nil && *list.TotalCount == 1, "total_count is not 1")
		if list.Connections == nil || len(*list.Connections) != 1 {
			c.fail("connections does not hold the one connection")
			return
		}
		it := (*list.Connections)[0]
		c.str("id", it.Id, conn.ID)
		c.str("status", it.Status, "pendingAcceptance")
		c.str("domain_id", it.DomainId, s.consumer)
		c.set("marker_id", it.MarkerId != nil)
		c.set("created_at", it.CreatedAt != nil)
	}, "total_count 1; the connection's id, status pendingAcceptance, domain_id, marker_id")

	acts := model.GetAcceptOrRejectEndpointRequestBodyActionEnum()
	act := func(op string, a model.AcceptOrRejectEndpointRequestBodyAction, want string) {
		resp, err := s.c.AcceptOrRejectEndpoint(&model.AcceptOrRejectEndpointRequest{
			VpcEndpointServiceId: s.id,
			Body:                 &model.AcceptOrRejectEndpointRequestBody{Action: a, Endpoints: []string{conn.ID}},
		})
		s.r.expectOK(op, resp, err, ok200, func(c *checks) {
			if resp.Connections == nil || len(*resp.Connections) != 1 {
				c.fail("connections does not hold the one connection")
				return
			}
			c.str("id", (*resp.Connections)[0].Id, conn.ID)
			c.str("status", (*resp.Connections)[0].Status, want)
		}, "connections[0] is the endpoint, now "+want)
	}
	act("AcceptOrRejectEndpoint/receive", acts.RECEIVE, "accepted")

	desc, err := s.c.UpdateEndpointConnectionsDesc(&model.UpdateEndpointConnectionsDescRequest{
		VpcEndpointServiceId: s.id,
		Body: &model.UpdateEndpointConnectionsDescRequestBody{
			Connections: []model.ConnectionsDesc{{Id: conn.ID, Description: "described by the Go SDK"}},
		},
	})
	s.r.expectOK("UpdateEndpointConnectionsDesc", desc, err, ok200, func(c *checks) {
		if desc.Connections == nil || len(*desc.Connections) != 1 {
			c.fail("connections does not hold the one connection")
			return
		}
		c.str("id", (*desc.Connections)[0].Id, conn.ID)
		c.str("description", (*desc.Connections)[0].Description, "described by the Go SDK")
	}, "connections[0] with its new description")

	// Rejected connections do not block the delete below.
	act("AcceptOrRejectEndpoint/reject", acts.REJECT, "rejected")
	return nil
}

func (s *scenario) remove() {
	resp, err := s.c.DeleteEndpointService(&model.DeleteEndpointServiceRequest{VpcEndpointServiceId: s.id})
	s.r.expectOK("DeleteEndpointService", resp, err, ok200204, nil, "accepted without a body")
	s.get("ListServiceDetails/afterDelete", "deleting")
}
