import path from 'node:path';

/** Repository root, from test/unit/deploy. */
export const root = path.resolve(import.meta.dirname, '../../..');
/** The Helm chart. */
export const chartDir = path.join(root, 'deploy/helm/vpcep-operator');
/** ArgoCD's resource_customizations layout for our kind. */
export const healthDir = path.join(root, 'deploy/argocd/vpcep.huaweicloud.io/VpcEndpointService');
