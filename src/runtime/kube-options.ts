/**
 * Per-call options for client-node 1.4 API calls. The generated clients take no AbortSignal argument,
 * but their request context does: a middleware sets it, so aborting the signal aborts the HTTP request.
 */
import {
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/** `opt` plus a middleware that ties the request to `signal` (unchanged when there is no signal). */
export function withSignal(
  signal: AbortSignal | undefined,
  opt?: ConfigurationOptions<ObservableMiddleware>,
): ConfigurationOptions<ObservableMiddleware> | undefined {
  if (!signal) return opt;
  const mw: ObservableMiddleware = {
    pre: (req: RequestContext) => {
      req.setSignal(signal);
      return new Observable(Promise.resolve(req));
    },
    post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
  };
  return {
    ...opt,
    middleware: [...(opt?.middleware ?? []), mw],
    middlewareMergeStrategy: 'append',
  };
}
