/**
 * The status a reconcile pass is building: starts from what the resource has, collects cloud fields and
 * conditions, and yields the whole status to write. Conditions are stamped with the resource's
 * generation and keep `lastTransitionTime` unless their status flips, so an unchanged pass builds a
 * deep-equal status and no write is sent. Generic over the kind's status type.
 */
import { setCondition } from '../api/conditions.js';
import type { ConditionStatus } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import type { ManagedObject, ManagedStatus } from './kind.js';

export class StatusDraft<St extends ManagedStatus> {
  private next: St;
  private readonly generation: number;

  /** `cloudFields`: the status fields that describe the cloud resource (cleared when it is gone). */
  constructor(
    obj: ManagedObject<object, St>,
    private readonly clock: Clock,
    private readonly cloudFields: ReadonlyArray<keyof St>,
  ) {
    this.next = structuredClone(obj.status ?? ({} as St));
    this.generation = obj.metadata.generation ?? 0;
  }

  /** Merges cloud fields (absent ones keep their current value). */
  setCloud(fields: Partial<St>): void {
    this.next = { ...this.next, ...fields };
  }

  /** Records the project the cloud resource lives in (what the project guard compares against). */
  setProject(projectId: string | undefined): void {
    if (projectId) this.next.projectId = projectId;
  }

  /** Removes every cloud field, `id` and `projectId` included (the cloud resource is gone). */
  clearCloud(): void {
    for (const f of [...this.cloudFields, 'id', 'status', 'projectId'] as Array<keyof St>)
      delete this.next[f];
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
  build(): St {
    return structuredClone(this.next);
  }
}
