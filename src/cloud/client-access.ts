/**
 * The consumer-access operations of the VPCEP client: the whitelist (permissions) and the connections
 * of an endpoint service. Part of {@link VpcepClient}; the same guarantees apply.
 */
import type { CallOptions } from './caller.js';
import { ClientBase, requireIds, toQuery } from './client-base.js';
import {
  decodeConnectionAction,
  decodeListConnections,
  decodeListPermissions,
  decodePermissionAction,
} from './decode.js';
import type { Connection, Permission } from './wire.js';

const PERMISSIONS_PAGE = 500;
const CONNECTIONS_PAGE = 1000;

/** Whitelist and connection operations (see {@link VpcepClient}). */
export abstract class AccessClient extends ClientBase {
  // ---- whitelist ----------------------------------------------------------------------------------

  /** Every whitelist entry of the service (`GET …/permissions`, pages of 500). */
  async listPermissions(id: string, opts?: CallOptions): Promise<Permission[]> {
    requireIds('listPermissions', { id });
    return this.paginate(PERMISSIONS_PAGE, async (limit, offset) => {
      const page = await this.caller.call(
        {
          operation: 'listPermissions',
          method: 'GET',
          path: `/vpc-endpoint-services/${id}/permissions`,
          query: { limit, offset },
          idempotent: true,
          decode: decodeListPermissions,
        },
        opts,
      );
      return { items: page.permissions, total: page.total_count };
    });
  }

  /**
   * `POST …/permissions/action` add/remove; resolves to the permissions the cloud echoes. Set semantics
   * (adding a present entry or removing an absent one changes nothing), so it is retried.
   */
  async permissionAction(
    id: string,
    action: 'add' | 'remove',
    permissions: string[],
    type?: 'domainId' | 'orgPath',
    opts?: CallOptions,
  ): Promise<string[]> {
    requireIds('permissionAction', { id });
    const res = await this.caller.call(
      {
        operation: 'permissionAction',
        method: 'POST',
        path: `/vpc-endpoint-services/${id}/permissions/action`,
        body: type ? { permissions, action, permission_type: type } : { permissions, action },
        idempotent: true,
        decode: decodePermissionAction,
      },
      opts,
    );
    return res.permissions;
  }

  /**
   * `POST …/permissions/batch-create`: adds entries with descriptions. Set semantics by entry, so it is
   * retried. Resolves to nothing (the whitelist is re-read by whoever needs it).
   */
  async batchCreatePermissions(
    id: string,
    permissions: Array<{ permission: string; description?: string }>,
    opts?: CallOptions,
  ): Promise<void> {
    requireIds('batchCreatePermissions', { id });
    await this.caller.call(
      {
        operation: 'batchCreatePermissions',
        method: 'POST',
        path: `/vpc-endpoint-services/${id}/permissions/batch-create`,
        body: { permissions },
        idempotent: true,
        decode: () => undefined,
      },
      opts,
    );
  }

  /** `PUT …/permissions/{permissionId}`: sets one entry's description. Idempotent. */
  async updatePermissionDescription(
    id: string,
    permissionId: string,
    description: string,
    opts?: CallOptions,
  ): Promise<void> {
    requireIds('updatePermissionDescription', { id, permissionId });
    await this.caller.call(
      {
        operation: 'updatePermissionDescription',
        method: 'PUT',
        path: `/vpc-endpoint-services/${id}/permissions/${permissionId}`,
        body: { permission: { description } },
        idempotent: true,
        decode: () => undefined,
      },
      opts,
    );
  }

  // ---- connections --------------------------------------------------------------------------------

  /** Every connection of the service (`GET …/connections`, pages of 1000), optionally filtered. */
  async listConnections(
    id: string,
    q: { status?: string; id?: string } = {},
    opts?: CallOptions,
  ): Promise<Connection[]> {
    requireIds('listConnections', { id });
    return this.paginate(CONNECTIONS_PAGE, async (limit, offset) => {
      const page = await this.caller.call(
        {
          operation: 'listConnections',
          method: 'GET',
          path: `/vpc-endpoint-services/${id}/connections`,
          query: { ...toQuery(q), limit, offset },
          idempotent: true,
          decode: decodeListConnections,
        },
        opts,
      );
      return { items: page.connections, total: page.total_count };
    });
  }

  /**
   * `POST …/connections/action` for exactly one endpoint (the cloud refuses more, `EndPoint.2031`).
   * `receive` accepts, `reject` rejects; the state converges, so it is retried. Poll
   * {@link listConnections} for `accepted`/`rejected` afterwards. Both the service id and the endpoint
   * id must be UUIDs.
   */
  async connectionAction(
    id: string,
    action: 'receive' | 'reject',
    endpointId: string,
    opts?: CallOptions,
  ): Promise<Connection[]> {
    requireIds('connectionAction', { id, endpointId });
    return this.caller.call(
      {
        operation: 'connectionAction',
        method: 'POST',
        path: `/vpc-endpoint-services/${id}/connections/action`,
        body: { action, endpoints: [endpointId] },
        idempotent: true,
        decode: decodeConnectionAction,
      },
      opts,
    );
  }
}
