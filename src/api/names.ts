// Names the API server and Kubernetes conventions constrain, shared by every kind.
import { z } from 'zod';

/** RFC 1123 label: what Kubernetes requires of Service names and label values. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain: what Kubernetes requires of most object names (Secrets, Jobs, ...). */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export const DnsLabel = z.string().min(1).max(63).regex(new RegExp(DNS_LABEL));
export const ObjectName = z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN));

export function localObjectReference(kind: string) {
  return z
    .object({
      name: ObjectName.describe(`Name of the ${kind} in the same namespace.`),
    })
    .describe(`Reference to a ${kind} in the same namespace.`);
}

/**
 * Name limits for objects whose name is copied into children: runs are named
 * `<schedule>-<10-digit timestamp>` and both end up in label values, which hold 63 characters.
 */
export const MAX_PARENT_NAME_LENGTH = 52;
export const MAX_LABELED_NAME_LENGTH = 63;
