// The API group every Lifeboat kind lives in. Changing any of these is a breaking API change.
export const GROUP = 'lifeboat.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** `kubectl get lifeboat` lists every kind that carries this category. */
export const CATEGORY = 'lifeboat';
