/**
 * The route table of the simulated API: method and path (below `/v1/{project_id}/`) to operation
 * name and handler. A request matching no route gets the gateway's 404 `APIGW.0101`, never
 * `EndPoint.0005`. Literal segments win over parameters (`…/describe` is not a service id).
 */
import {
  createService,
  deleteService,
  describeService,
  getQuotas,
  getService,
  listPublicServices,
  listServices,
  renameService,
  updateService,
  type Handler,
  type OperationName,
} from './api.js';
import {
  connectionAction,
  connectionDescription,
  listConnections,
  listPermissions,
  permissionAction,
  permissionBatchCreate,
  permissionBatchDelete,
  permissionUpdate,
  projectTags,
  queryTags,
  tagAction,
} from './relations.js';
import {
  createEndpoint,
  deleteEndpoint,
  deleteEndpointPolicy,
  endpointProjectTags,
  endpointQueryTags,
  endpointTagAction,
  getEndpoint,
  listEndpoints,
  updateEndpointPolicy,
  updateEndpointRouteTables,
  updateEndpointWhitelist,
} from './endpoints.js';

interface Route {
  method: string;
  segments: string[];
  op: OperationName;
  handler: Handler;
}

const S = 'vpc-endpoint-services';
const E = 'vpc-endpoints';
const table: Array<[string, string, OperationName, Handler]> = [
  ['POST', S, 'create', createService],
  ['GET', S, 'list', listServices],
  ['GET', `${S}/describe`, 'describe', describeService],
  ['GET', `${S}/public`, 'listPublic', listPublicServices],
  ['GET', `${S}/:id`, 'get', getService],
  ['PUT', `${S}/:id`, 'update', updateService],
  ['DELETE', `${S}/:id`, 'delete', deleteService],
  ['PUT', `${S}/:id/name`, 'rename', renameService],
  ['GET', `${S}/:id/permissions`, 'listPermissions', listPermissions],
  ['POST', `${S}/:id/permissions/action`, 'permissionAction', permissionAction],
  ['POST', `${S}/:id/permissions/batch-create`, 'permissionBatchCreate', permissionBatchCreate],
  ['POST', `${S}/:id/permissions/batch-delete`, 'permissionBatchDelete', permissionBatchDelete],
  ['PUT', `${S}/:id/permissions/:pid`, 'permissionUpdate', permissionUpdate],
  ['GET', `${S}/:id/connections`, 'listConnections', listConnections],
  ['POST', `${S}/:id/connections/action`, 'connectionAction', connectionAction],
  ['PUT', `${S}/:id/connections/description`, 'connectionDescription', connectionDescription],
  ['POST', 'endpoint_service/resource_instances/action', 'queryTags', queryTags],
  ['GET', 'endpoint_service/tags', 'projectTags', projectTags],
  ['POST', 'endpoint_service/:id/tags/action', 'tags', tagAction],
  ['GET', 'quotas', 'quotas', getQuotas],
  ['POST', E, 'createEndpoint', createEndpoint],
  ['GET', E, 'listEndpoints', listEndpoints],
  ['GET', `${E}/:id`, 'getEndpoint', getEndpoint],
  ['PUT', `${E}/:id`, 'updateEndpointWhitelist', updateEndpointWhitelist],
  ['DELETE', `${E}/:id`, 'deleteEndpoint', deleteEndpoint],
  ['PUT', `${E}/:id/routetables`, 'updateEndpointRouteTables', updateEndpointRouteTables],
  ['PUT', `${E}/:id/policy`, 'updateEndpointPolicy', updateEndpointPolicy],
  ['DELETE', `${E}/:id/policy`, 'deleteEndpointPolicy', deleteEndpointPolicy],
  ['POST', 'endpoint/resource_instances/action', 'endpointQueryTags', endpointQueryTags],
  ['GET', 'endpoint/tags', 'endpointProjectTags', endpointProjectTags],
  ['POST', 'endpoint/:id/tags/action', 'endpointTags', endpointTagAction],
];

const ROUTES: Route[] = table.map(([method, path, op, handler]) => ({
  method,
  segments: path.split('/'),
  op,
  handler,
}));

/** Every operation name the simulator knows (for counters and fault validation). */
export const OPERATIONS: readonly OperationName[] = ROUTES.map((r) => r.op);

/** A request matched to its route. */
export interface RouteMatch {
  op: OperationName;
  handler: Handler;
  projectId: string;
  params: Record<string, string>;
}

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** Matches `method` and the raw `path` (no query); undefined when no API has that method and path. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const parts = path.split('/').map(decode);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  // ['', 'v1', '{project_id}', ...rest]
  if (parts[0] !== '' || parts[1] !== 'v1' || !parts[2]) return undefined;
  const projectId = parts[2];
  const rest = parts.slice(3);
  for (const r of ROUTES) {
    if (r.method !== method || r.segments.length !== rest.length) continue;
    const params: Record<string, string> = {};
    const ok = r.segments.every((seg, i) => {
      const actual = rest[i] ?? '';
      if (seg.startsWith(':')) {
        if (actual === '') return false;
        params[seg.slice(1)] = actual;
        return true;
      }
      return seg === actual;
    });
    if (ok) return { op: r.op, handler: r.handler, projectId, params };
  }
  return undefined;
}
