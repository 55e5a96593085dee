//! Images: tags, digests, registries and pull policies.

mod digest_pinned;
mod latest_tag;
mod pull_policy;
mod registry_allowlist;
pub(crate) mod signature_policy;

use crate::Check;

pub const CHECKS: &[&Check] = &[&latest_tag::LATEST_TAG, &digest_pinned::DIGEST_PINNED, &registry_allowlist::REGISTRY_ALLOWLIST, &pull_policy::PULL_POLICY, &signature_policy::SIGNATURE_POLICY];
