//! One Kubernetes API audit event (`audit.k8s.io/v1` or `v1beta1` `Event`), borrowed from the
//! line it was parsed from. Every field is optional: exports and test fixtures often lack
//! `apiVersion`, `auditID`, `stage` or timestamps, and the analysis works with what is there.
//! `requestObject` and `responseObject` stay raw JSON until a rule needs to look inside.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

type Str<'a> = Option<Cow<'a, str>>;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub kind: Str<'a>,
    #[serde(borrow, default)]
    pub api_version: Str<'a>,
    #[serde(borrow, default)]
    pub level: Str<'a>,
    #[serde(borrow, default, rename = "auditID")]
    pub audit_id: Str<'a>,
    #[serde(borrow, default)]
    pub stage: Str<'a>,
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Str<'a>,
    #[serde(borrow, default)]
    pub verb: Str<'a>,
    #[serde(borrow, default)]
    pub user: Option<UserInfo<'a>>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default, rename = "sourceIPs")]
    pub source_ips: Option<Strs<'a>>,
    #[serde(borrow, default)]
    pub user_agent: Str<'a>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(borrow, default)]
    pub response_status: Option<Status<'a>>,
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub request_received_timestamp: Str<'a>,
    #[serde(borrow, default)]
    pub stage_timestamp: Str<'a>,
    /// `v1beta1` events and some exporters carry a single `timestamp` (or `metadata.creationTimestamp`).
    #[serde(borrow, default, deserialize_with = "lenient")]
    pub timestamp: Str<'a>,
    #[serde(borrow, default)]
    pub annotations: Option<Annotations<'a>>,

    // Containers and wrappers: not parts of an event, recognised so that the reader can open them.
    /// `kind: EventList` (and `{"items": [...]}` exports).
    #[serde(borrow, default)]
    pub items: Option<Vec<&'a RawValue>>,
    /// AKS diagnostic logs: `{"category": "kube-audit", "properties": {"log": "<event JSON>"}}`.
    #[serde(borrow, default)]
    pub properties: Option<Properties<'a>>,
    #[serde(borrow, default)]
    pub category: Str<'a>,
    /// Azure Event Hub / storage exports: `{"records": [<AKS record>, ...]}`.
    #[serde(borrow, default)]
    pub records: Option<Vec<&'a RawValue>>,
    /// EKS CloudWatch Logs exports (`aws logs filter-log-events`): `{"message": "<event JSON>"}`.
    #[serde(borrow, default, deserialize_with = "lenient")]
    pub message: Str<'a>,
    /// CloudWatch Logs subscription payloads: `{"logEvents": [{"message": ...}]}`; and
    /// `aws logs filter-log-events` output: `{"events": [...]}`.
    #[serde(borrow, default)]
    pub log_events: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    pub events: Option<Vec<&'a RawValue>>,
    /// Container log shippers (Docker JSON, Fluent Bit): `{"log": "<event JSON>"}`.
    #[serde(borrow, default, deserialize_with = "lenient")]
    pub log: Str<'a>,
    /// Google Cloud Logging entries: GKE audit logs are Cloud Audit Logs, not Kubernetes events.
    #[serde(borrow, default)]
    pub proto_payload: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Str<'a>,
    #[serde(borrow, default)]
    pub groups: Option<Strs<'a>>,
}

/// How many strings a [`Strs`] holds without allocating.
const INLINE_STRS: usize = 4;

/// A short list of strings (a user's groups, a request's source IPs): up to four are held
/// inline, so reading an event allocates nothing for them (two `Vec`s per event were a good
/// part of the allocator's time); a longer list moves to the heap.
#[derive(Clone, Default)]
pub struct Strs<'a> {
    inline: [Cow<'a, str>; INLINE_STRS],
    /// How many of `inline` are used; unused when `spilled` holds the list.
    len: usize,
    spilled: Vec<Cow<'a, str>>,
}

impl<'a> Strs<'a> {
    pub fn push(&mut self, text: Cow<'a, str>) {
        if self.len < INLINE_STRS && self.spilled.is_empty() {
            self.inline[self.len] = text;
            self.len += 1;
            return;
        }
        if self.spilled.is_empty() {
            self.spilled.reserve(2 * INLINE_STRS);
            self.spilled.extend(self.inline.iter_mut().take(self.len).map(std::mem::take));
            self.len = 0;
        }
        self.spilled.push(text);
    }

    pub fn as_slice(&self) -> &[Cow<'a, str>] {
        if self.spilled.is_empty() { &self.inline[..self.len] } else { &self.spilled }
    }
}

impl<'a> From<Vec<Cow<'a, str>>> for Strs<'a> {
    fn from(list: Vec<Cow<'a, str>>) -> Strs<'a> {
        let mut out = Strs::default();
        for text in list {
            out.push(text);
        }
        out
    }
}

impl std::fmt::Debug for Strs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl PartialEq for Strs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Strs<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strs<'a>, D::Error> {
        Vec::<Cow<'a, str>>::deserialize(d).map(Strs::from)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    #[serde(borrow, default)]
    pub resource: Str<'a>,
    #[serde(borrow, default)]
    pub subresource: Str<'a>,
    #[serde(borrow, default)]
    pub namespace: Str<'a>,
    #[serde(borrow, default)]
    pub name: Str<'a>,
    #[serde(borrow, default)]
    pub api_group: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Status<'a> {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(borrow, default)]
    pub reason: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Annotations<'a> {
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    pub decision: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Properties<'a> {
    #[serde(borrow, default, deserialize_with = "lenient")]
    pub log: Str<'a>,
}

/// The authorizer's decision, from the annotation or, when the log lacks it, the response code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Forbid,
    Unknown,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Forbid => "forbid",
            Decision::Unknown => "unknown",
        }
    }
}

/// A field that is a string in audit events but may be something else in wrappers (CloudWatch's
/// `timestamp` is a number): kept when it is a string, ignored otherwise.
fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Str<'de>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient<'a> {
        Text(#[serde(borrow)] Cow<'a, str>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Lenient::deserialize(d)? {
        Lenient::Text(t) => Some(t),
        Lenient::Other(_) => None,
    })
}

pub(crate) fn s<'b>(v: &'b Str<'_>) -> &'b str {
    v.as_deref().unwrap_or("")
}

impl<'a> Event<'a> {
    /// Whether the object looks like an audit event (rather than a wrapper or something else).
    pub fn is_event(&self) -> bool {
        self.kind.as_deref() == Some("Event")
            || self.verb.is_some()
            || self.audit_id.is_some()
            || self.request_uri.is_some()
            || (self.user.is_some() && self.object_ref.is_some())
    }

    pub fn verb(&self) -> &str {
        s(&self.verb)
    }
    pub fn stage(&self) -> &str {
        s(&self.stage)
    }
    pub fn username(&self) -> &str {
        self.user.as_ref().map(|u| s(&u.username)).unwrap_or("")
    }
    pub fn groups(&self) -> &[Cow<'a, str>] {
        self.user.as_ref().and_then(|u| u.groups.as_ref()).map(Strs::as_slice).unwrap_or(&[])
    }
    /// The identity the request acted as: the impersonated user when there is one.
    pub fn effective_username(&self) -> &str {
        match self.impersonated_user.as_ref().map(|u| s(&u.username)) {
            Some(name) if !name.is_empty() => name,
            _ => self.username(),
        }
    }
    pub fn effective_groups(&self) -> &[Cow<'a, str>] {
        match &self.impersonated_user {
            Some(u) if u.username.is_some() => u.groups.as_ref().map(Strs::as_slice).unwrap_or(&[]),
            _ => self.groups(),
        }
    }
    pub fn resource(&self) -> &str {
        self.object_ref.as_ref().map(|o| s(&o.resource)).unwrap_or("")
    }
    pub fn subresource(&self) -> &str {
        self.object_ref.as_ref().map(|o| s(&o.subresource)).unwrap_or("")
    }
    pub fn namespace(&self) -> &str {
        self.object_ref.as_ref().map(|o| s(&o.namespace)).unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.object_ref.as_ref().map(|o| s(&o.name)).unwrap_or("")
    }
    pub fn api_group(&self) -> &str {
        self.object_ref.as_ref().map(|o| s(&o.api_group)).unwrap_or("")
    }
    pub fn uri(&self) -> &str {
        s(&self.request_uri)
    }
    pub fn code(&self) -> Option<i64> {
        self.response_status.as_ref().and_then(|r| r.code)
    }
    pub fn source_ips(&self) -> &[Cow<'a, str>] {
        self.source_ips.as_ref().map(Strs::as_slice).unwrap_or(&[])
    }
    /// When the request was received (else the stage's time, else `timestamp`).
    pub fn time(&self) -> &str {
        [&self.request_received_timestamp, &self.stage_timestamp, &self.timestamp]
            .into_iter()
            .find_map(|t| t.as_deref().filter(|t| !t.is_empty()))
            .unwrap_or("")
    }
    pub fn decision(&self) -> Decision {
        match self.annotations.as_ref().map(|a| s(&a.decision)) {
            Some("allow") => Decision::Allow,
            Some("forbid") => Decision::Forbid,
            _ => match self.code() {
                Some(100..=299) => Decision::Allow,
                Some(401 | 403) => Decision::Forbid,
                _ => Decision::Unknown,
            },
        }
    }
}
