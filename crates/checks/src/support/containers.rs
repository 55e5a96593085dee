use kubepci_model::PodTemplate;
use kubepci_model::pod::Container;

/// A container of a pod template with its field path inside the object.
pub struct ContainerRef<'a> {
    pub container: &'a Container,
    /// `spec.template.spec.containers[0]`
    pub path: ContainerPath<'a>,
    pub init: bool,
}

/// A container's field path, formatted only when a finding shows it: most containers pass,
/// and every container check walks every container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerPath<'a> {
    /// The pod spec's path (`spec.template.spec`).
    spec: &'a str,
    init: bool,
    index: usize,
}

impl std::fmt::Display for ContainerPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let list = if self.init { "initContainers" } else { "containers" };
        write!(f, "{}.{list}[{}]", self.spec, self.index)
    }
}

/// Init containers, then containers (ephemeral containers are debug sessions: see CHG-001).
pub fn containers<'a>(t: &PodTemplate<'a>) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
    let base = t.spec_path;
    let init = t.spec.init_containers.iter().flatten().enumerate().map(move |(i, c)| ContainerRef {
        container: c,
        path: ContainerPath { spec: base, init: true, index: i },
        init: true,
    });
    let main = t.spec.containers.iter().enumerate().map(move |(i, c)| ContainerRef {
        container: c,
        path: ContainerPath { spec: base, init: false, index: i },
        init: false,
    });
    init.chain(main)
}
