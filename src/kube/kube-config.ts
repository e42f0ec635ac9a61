// Where the API server is and how to authenticate: in a pod its service account, elsewhere
// KUBECONFIG (or ~/.kube/config).
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath) {
    config.loadFromFile(kubeconfigPath);
  } else if (!process.env.KUBECONFIG && process.env.KUBERNETES_SERVICE_HOST) {
    config.loadFromCluster();
  } else {
    config.loadFromDefault();
  }
  if (!config.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: set KUBECONFIG, or run in a pod with a service account');
  }
  return config;
}
