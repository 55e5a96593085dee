use kubepci_model::PodTemplate;
use kubepci_model::k8s_openapi::api::core::v1::Container;

/// A container of a pod template with its field path inside the object.
pub struct ContainerRef<'a> {
    pub container: &'a Container,
    /// `spec.template.spec.containers[0]`
    pub path: String,
    pub init: bool,
}

/// Init containers, then containers (ephemeral containers are debug sessions: see CHG-001).
pub fn containers<'a>(t: &PodTemplate<'a>) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
    let base = t.spec_path;
    let init = t.spec.init_containers.iter().flatten().enumerate().map(move |(i, c)| ContainerRef {
        container: c,
        path: format!("{base}.initContainers[{i}]"),
        init: true,
    });
    let main = t.spec.containers.iter().enumerate().map(move |(i, c)| ContainerRef {
        container: c,
        path: format!("{base}.containers[{i}]"),
        init: false,
    });
    init.chain(main)
}
