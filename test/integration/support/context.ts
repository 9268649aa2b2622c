/**
 * What the integration global setup hands to every test file through vitest's `inject()`.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of an admin kubeconfig for the control plane under test. */
    kubeconfig: string;
    /** Directory of the control plane started by the setup (`''` when the caller gave KUBECONFIG). */
    clusterDir: string;
    /** Directory holding kubectl, helm, kube-apiserver and etcd built by hack/build-tools.sh. */
    toolsBin: string;
  }
}
export {};
