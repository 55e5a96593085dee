//! `restrictedVolumes`: the restricted level only allows volume types that do not reach the
//! node or external storage directly.

use super::Finding;
use kubepci_base::text::noun;
use crate::pod::{Pod, join_quote};
use kubepci_model::pod::Volume;

/// The volume source set on `v`, by its API field name; `None` when no source is set (the API
/// server defaults that to `emptyDir`, so admission sees an emptyDir).
fn volume_type(v: &Volume) -> Option<&'static str> {
    let sources = [
        (v.aws_elastic_block_store.is_some(), "awsElasticBlockStore"),
        (v.azure_disk.is_some(), "azureDisk"),
        (v.azure_file.is_some(), "azureFile"),
        (v.cephfs.is_some(), "cephfs"),
        (v.cinder.is_some(), "cinder"),
        (v.config_map.is_some(), "configMap"),
        (v.csi.is_some(), "csi"),
        (v.downward_api.is_some(), "downwardAPI"),
        (v.empty_dir.is_some(), "emptyDir"),
        (v.ephemeral.is_some(), "ephemeral"),
        (v.fc.is_some(), "fc"),
        (v.flex_volume.is_some(), "flexVolume"),
        (v.flocker.is_some(), "flocker"),
        (v.gce_persistent_disk.is_some(), "gcePersistentDisk"),
        (v.git_repo.is_some(), "gitRepo"),
        (v.glusterfs.is_some(), "glusterfs"),
        (v.host_path.is_some(), "hostPath"),
        (v.image.is_some(), "image"),
        (v.iscsi.is_some(), "iscsi"),
        (v.nfs.is_some(), "nfs"),
        (v.persistent_volume_claim.is_some(), "persistentVolumeClaim"),
        (v.photon_persistent_disk.is_some(), "photonPersistentDisk"),
        (v.portworx_volume.is_some(), "portworxVolume"),
        (v.projected.is_some(), "projected"),
        (v.quobyte.is_some(), "quobyte"),
        (v.rbd.is_some(), "rbd"),
        (v.scale_io.is_some(), "scaleIO"),
        (v.secret.is_some(), "secret"),
        (v.storageos.is_some(), "storageos"),
        (v.vsphere_volume.is_some(), "vsphereVolume"),
    ];
    sources.iter().find(|(set, _)| *set).map(|(_, name)| *name)
}

/// Volume types allowed at restricted level (`image` since upstream added it to the v1.0 rule).
pub(crate) const RESTRICTED_ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// `restrictedVolumes` (restricted, v1.0+): every volume is one of
/// [`RESTRICTED_ALLOWED_VOLUMES`]. Replaces `hostPathVolumes` at restricted level.
pub(crate) fn restricted_volumes(pod: &Pod<'_>) -> Option<Finding> {
    let mut names = Vec::new();
    let mut types = std::collections::BTreeSet::new();
    let mut fields = Vec::new();
    for (i, v) in pod.spec.volumes.iter().flatten().enumerate() {
        if let Some(ty) = volume_type(v).filter(|ty| !RESTRICTED_ALLOWED_VOLUMES.contains(ty)) {
            names.push(v.name.as_str());
            types.insert(ty);
            fields.push(pod.spec_field(&format!("volumes[{i}].{ty}")));
        }
    }
    let types: Vec<&str> = types.into_iter().collect();
    (!names.is_empty()).then(|| Finding {
        summary: "restricted volume types".into(),
        detail: format!(
            "{} {} {} {} {}",
            noun(names.len(), "volume", "volumes"),
            join_quote(&names),
            noun(names.len(), "uses", "use"),
            noun(types.len(), "restricted volume type", "restricted volume types"),
            join_quote(&types)
        ),
        fields,
    })
}
