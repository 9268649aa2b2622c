/**
 * The status a reconcile pass is building: starts from what the resource has, collects cloud fields and
 * conditions, and yields the whole status to write. Conditions are stamped with the resource's
 * generation and keep `lastTransitionTime` unless their status flips, so an unchanged pass builds a
 * deep-equal status and no write is sent.
 */
import { setCondition } from '../api/conditions.js';
import type { CloudStatusFields } from '../api/mapping.js';
import type { ConditionStatus, VpcEndpointService, VpcEndpointServiceStatus } from '../api/types.js';
import type { Clock } from '../runtime/clock.js';

const CLOUD_FIELDS = [
  'id',
  'status',
  'poolId',
  'serviceName',
  'createdAt',
  'updatedAt',
  'projectId',
] as const;

export class StatusDraft {
  private next: VpcEndpointServiceStatus;
  private readonly generation: number;

  constructor(
    cr: VpcEndpointService,
    private readonly clock: Clock,
  ) {
    this.next = structuredClone(cr.status ?? {});
    this.generation = cr.metadata.generation ?? 0;
  }

  /** Merges cloud fields (absent ones keep their current value). */
  setCloud(fields: Partial<CloudStatusFields>): void {
    this.next = { ...this.next, ...fields };
  }

  /** Records the project the service lives in (what the project guard compares against). */
  setProject(projectId: string | undefined): void {
    if (projectId) this.next.projectId = projectId;
  }

  /** Removes every cloud field (the service is gone). */
  clearCloud(): void {
    for (const f of CLOUD_FIELDS) delete this.next[f];
  }

  /** Sets a condition for the current generation. */
  condition(type: string, status: ConditionStatus, reason: string, message: string): void {
    this.next.conditions = setCondition(
      this.next.conditions,
      { type, status, reason, message, observedGeneration: this.generation },
      this.clock.now(),
    );
  }

  /** Declares the current generation fully handled (reconciled, or stopped on a terminal verdict). */
  observed(): void {
    this.next.observedGeneration = this.generation;
  }

  /** The status to write (a copy). */
  build(): VpcEndpointServiceStatus {
    return structuredClone(this.next);
  }
}
