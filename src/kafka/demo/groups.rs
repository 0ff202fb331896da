//! The demo's consumer groups, as the front sees them go by: librdkafka's mock cluster runs
//! groups and stores offsets but cannot list or describe them (it has no ListGroups or
//! DescribeGroups). The front keeps a book of what passes through it (joins, assignments,
//! heartbeats, leaves, commits, KIP-848 heartbeats) and answers those two itself, as a
//! Kafka 4 broker would; an OffsetFetch for "every topic" (which the mock cannot serve) is
//! rewritten to the topics the group committed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{
    ApiKey, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, DescribeGroupsRequest,
    DescribeGroupsResponse, GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, ListGroupsRequest, ListGroupsResponse, MetadataResponse,
    OffsetCommitRequest, OffsetFetchRequest, RequestHeader, ResponseHeader, SyncGroupRequest,
    SyncGroupResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

/// The newest ListGroups and DescribeGroups versions the front answers.
pub const LIST_GROUPS_MAX: i16 = 5;
pub const DESCRIBE_GROUPS_MAX: i16 = 5;
/// A KIP-848 member that has not heartbeated for this long has left.
const CONSUMER_SESSION: Duration = Duration::from_secs(45);

#[derive(Debug, Default)]
struct Member {
    client_id: String,
    host: String,
    instance_id: Option<String>,
    session: Duration,
    seen: Option<Instant>,
    metadata: Bytes,
    /// The classic assignment as SyncGroup handed it out (ConsumerProtocol bytes).
    assignment: Option<Bytes>,
}

#[derive(Debug, Default)]
struct Group {
    /// `consumer` for clients' groups; empty for a group that only committed.
    protocol_type: String,
    /// The chosen assignor (`range`, `roundrobin`, …).
    protocol: String,
    /// KIP-848 (`ConsumerGroupHeartbeat`) rather than classic.
    kip848: bool,
    members: BTreeMap<String, Member>,
    committed: BTreeMap<String, BTreeSet<i32>>,
}

impl Group {
    fn prune(&mut self, now: Instant) {
        self.members.retain(|_, m| {
            m.seen
                .is_none_or(|seen| now.duration_since(seen) < m.session)
        });
    }

    fn state(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if !self.kip848 && self.members.values().any(|m| m.assignment.is_none()) {
            "CompletingRebalance"
        } else {
            "Stable"
        }
    }
}

/// What a forwarded request tells about its response.
#[derive(Debug, Clone)]
pub enum Pending {
    Join {
        group: String,
        member: Joining,
    },
    Sync {
        group: String,
        member_id: String,
    },
    ConsumerHeartbeat {
        group: String,
        client_id: String,
        host: String,
    },
    Metadata,
}

/// A joining member's particulars, kept until JoinGroup says its id.
#[derive(Debug, Clone)]
pub struct Joining {
    client_id: String,
    host: String,
    instance_id: Option<String>,
    session: Duration,
    protocol_type: String,
    metadata: BTreeMap<String, Bytes>,
}

impl Joining {
    fn new(header: &RequestHeader, r: &JoinGroupRequest, host: String) -> Self {
        Self {
            client_id: header.client_id.as_ref().map(text).unwrap_or_default(),
            host,
            instance_id: r.group_instance_id.as_ref().map(text),
            session: Duration::from_millis(u64::try_from(r.session_timeout_ms).unwrap_or(45_000)),
            protocol_type: text(&r.protocol_type),
            metadata: r
                .protocols
                .iter()
                .map(|p| (text(&p.name), p.metadata.clone()))
                .collect(),
        }
    }
}

/// An OffsetFetch for every topic (`topics` null), rewritten to name the topics the group
/// committed (the mock answers a null list with nothing); `None` when it names them.
fn every_topic_fetch(
    groups: &BTreeMap<String, Group>,
    frame: &[u8],
    version: i16,
) -> anyhow::Result<Option<Bytes>> {
    let key = ApiKey::OffsetFetch;
    let (header, mut r) = decode_request::<OffsetFetchRequest>(frame, key, version)?;
    if r.topics.is_some() {
        return Ok(None);
    }
    let committed = groups
        .get(&text(&r.group_id.0))
        .map(|g| g.committed.clone())
        .unwrap_or_default();
    r.topics = Some(
        committed
            .into_iter()
            .map(|(topic, partitions)| {
                OffsetFetchRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic)))
                    .with_partition_indexes(partitions.into_iter().collect())
            })
            .collect(),
    );
    encode(&header, key.request_header_version(version), &r, version).map(Some)
}

/// Every group the front has seen, shared by its connections.
#[derive(Debug, Default)]
pub struct GroupBook {
    groups: Mutex<BTreeMap<String, Group>>,
    /// Topic ids to names (KIP-848 assignments name topics by id), from Metadata answers.
    topics: Mutex<HashMap<[u8; 16], String>>,
}

fn text(s: &StrBytes) -> String {
    s.to_string()
}

fn decode_request<M: Decodable>(
    frame: &[u8],
    api_key: ApiKey,
    version: i16,
) -> anyhow::Result<(RequestHeader, M)> {
    let mut buf = Bytes::copy_from_slice(frame);
    let header = RequestHeader::decode(&mut buf, api_key.request_header_version(version))?;
    let message = M::decode(&mut buf, version)?;
    Ok((header, message))
}

fn decode_response<M: Decodable + HeaderVersion>(body: &Bytes, version: i16) -> anyhow::Result<M> {
    let mut buf = body.clone();
    ResponseHeader::decode(&mut buf, M::header_version(version))?;
    M::decode(&mut buf, version)
}

/// A length-prefixed frame of `header` and `message` (a request or a response).
fn encode<H: Encodable, M: Encodable>(
    header: &H,
    header_version: i16,
    message: &M,
    version: i16,
) -> anyhow::Result<Bytes> {
    let mut out = BytesMut::new();
    out.put_u32(0);
    header.encode(&mut out, header_version)?;
    message.encode(&mut out, version)?;
    let length = u32::try_from(out.len() - 4).context("frame too large")?;
    out[..4].copy_from_slice(&length.to_be_bytes());
    Ok(out.freeze())
}

impl GroupBook {
    /// Answers ListGroups and DescribeGroups here (the mock has neither); `None` for the
    /// rest. `frame` is without its length prefix.
    pub fn answer(
        &self,
        frame: &[u8],
        api_key: i16,
        version: i16,
    ) -> anyhow::Result<Option<Bytes>> {
        if api_key == ApiKey::ListGroups as i16 && (0..=LIST_GROUPS_MAX).contains(&version) {
            let (header, request) =
                decode_request::<ListGroupsRequest>(frame, ApiKey::ListGroups, version)?;
            let response = self.list(&request);
            let reply = ResponseHeader::default().with_correlation_id(header.correlation_id);
            return encode(
                &reply,
                ListGroupsResponse::header_version(version),
                &response,
                version,
            )
            .map(Some);
        }
        if api_key == ApiKey::DescribeGroups as i16 && (0..=DESCRIBE_GROUPS_MAX).contains(&version)
        {
            let (header, request) =
                decode_request::<DescribeGroupsRequest>(frame, ApiKey::DescribeGroups, version)?;
            let response = self.describe(&request);
            let reply = ResponseHeader::default().with_correlation_id(header.correlation_id);
            return encode(
                &reply,
                DescribeGroupsResponse::header_version(version),
                &response,
                version,
            )
            .map(Some);
        }
        Ok(None)
    }

    fn list(&self, request: &ListGroupsRequest) -> ListGroupsResponse {
        let now = Instant::now();
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let listed = groups
            .iter_mut()
            .filter_map(|(name, group)| {
                group.prune(now);
                let kind = if group.kip848 { "consumer" } else { "classic" };
                let state = group.state();
                let wanted = (request.states_filter.is_empty()
                    || request
                        .states_filter
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(state)))
                    && (request.types_filter.is_empty()
                        || request
                            .types_filter
                            .iter()
                            .any(|t| t.eq_ignore_ascii_case(kind)));
                wanted.then(|| {
                    ListedGroup::default()
                        .with_group_id(GroupId(StrBytes::from_string(name.clone())))
                        .with_protocol_type(StrBytes::from_string(group.protocol_type.clone()))
                        .with_group_state(StrBytes::from_static_str(state))
                        .with_group_type(StrBytes::from_static_str(kind))
                })
            })
            .collect();
        ListGroupsResponse::default().with_groups(listed)
    }

    fn describe(&self, request: &DescribeGroupsRequest) -> DescribeGroupsResponse {
        let now = Instant::now();
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let described = request
            .groups
            .iter()
            .map(|id| {
                let name = id.0.to_string();
                let Some(group) = groups.get_mut(&name) else {
                    // What Kafka answers for a group it does not know (DescribeGroups < 6).
                    return DescribedGroup::default()
                        .with_group_id(id.clone())
                        .with_group_state(StrBytes::from_static_str("Dead"));
                };
                group.prune(now);
                let members = group
                    .members
                    .iter()
                    .map(|(id, m)| {
                        DescribedGroupMember::default()
                            .with_member_id(StrBytes::from_string(id.clone()))
                            .with_group_instance_id(
                                m.instance_id.clone().map(StrBytes::from_string),
                            )
                            .with_client_id(StrBytes::from_string(m.client_id.clone()))
                            .with_client_host(StrBytes::from_string(m.host.clone()))
                            .with_member_metadata(m.metadata.clone())
                            .with_member_assignment(m.assignment.clone().unwrap_or_default())
                    })
                    .collect();
                DescribedGroup::default()
                    .with_group_id(id.clone())
                    .with_group_state(StrBytes::from_static_str(group.state()))
                    .with_protocol_type(StrBytes::from_string(group.protocol_type.clone()))
                    .with_protocol_data(StrBytes::from_string(group.protocol.clone()))
                    .with_members(members)
            })
            .collect();
        DescribeGroupsResponse::default().with_groups(described)
    }

    /// Notes what a request to the mock says about its group; answers what to remember for
    /// its response, and the frame to forward (rewritten for an OffsetFetch of every
    /// topic, which the mock cannot serve). `frame` includes its length prefix.
    pub fn request(
        &self,
        frame: &[u8],
        api_key: i16,
        version: i16,
        peer: IpAddr,
    ) -> (Option<Pending>, Option<Bytes>) {
        match self.observe(frame.get(4..).unwrap_or_default(), api_key, version, peer) {
            Ok(seen) => seen,
            Err(error) => {
                tracing::debug!(
                    "demo front: unreadable group request (API {api_key} v{version}): {error:#}"
                );
                (None, None)
            }
        }
    }

    fn observe(
        &self,
        frame: &[u8],
        api_key: i16,
        version: i16,
        peer: IpAddr,
    ) -> anyhow::Result<(Option<Pending>, Option<Bytes>)> {
        let host = format!("/{peer}");
        let Ok(key) = ApiKey::try_from(api_key) else {
            return Ok((None, None));
        };
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match key {
            ApiKey::JoinGroup => {
                let (header, r) = decode_request::<JoinGroupRequest>(frame, key, version)?;
                let group = text(&r.group_id.0);
                let member = Joining::new(&header, &r, host);
                return Ok((Some(Pending::Join { group, member }), None));
            }
            ApiKey::SyncGroup => {
                let (_, r) = decode_request::<SyncGroupRequest>(frame, key, version)?;
                return Ok((
                    Some(Pending::Sync {
                        group: text(&r.group_id.0),
                        member_id: text(&r.member_id),
                    }),
                    None,
                ));
            }
            ApiKey::Heartbeat => {
                let (_, r) = decode_request::<HeartbeatRequest>(frame, key, version)?;
                if let Some(m) = groups
                    .get_mut(&text(&r.group_id.0))
                    .and_then(|g| g.members.get_mut(&text(&r.member_id)))
                {
                    m.seen = Some(Instant::now());
                }
            }
            ApiKey::LeaveGroup => {
                let (_, r) = decode_request::<LeaveGroupRequest>(frame, key, version)?;
                if let Some(group) = groups.get_mut(&text(&r.group_id.0)) {
                    group.members.remove(&text(&r.member_id));
                    for m in &r.members {
                        group.members.remove(&text(&m.member_id));
                    }
                }
            }
            ApiKey::OffsetCommit => {
                let (_, r) = decode_request::<OffsetCommitRequest>(frame, key, version)?;
                let group = groups.entry(text(&r.group_id.0)).or_default();
                for topic in &r.topics {
                    let partitions = group.committed.entry(text(&topic.name.0)).or_default();
                    partitions.extend(topic.partitions.iter().map(|p| p.partition_index));
                }
            }
            ApiKey::ConsumerGroupHeartbeat => {
                let (header, r) =
                    decode_request::<ConsumerGroupHeartbeatRequest>(frame, key, version)?;
                let name = text(&r.group_id.0);
                if r.member_epoch < 0 && !r.member_id.is_empty() {
                    if let Some(group) = groups.get_mut(&name) {
                        group.members.remove(&text(&r.member_id));
                    }
                    return Ok((None, None));
                }
                let client_id = header.client_id.as_ref().map(text).unwrap_or_default();
                return Ok((
                    Some(Pending::ConsumerHeartbeat {
                        group: name,
                        client_id,
                        host,
                    }),
                    None,
                ));
            }
            ApiKey::OffsetFetch if (2..=7).contains(&version) => {
                return Ok((None, every_topic_fetch(&groups, frame, version)?));
            }
            ApiKey::Metadata => return Ok((Some(Pending::Metadata), None)),
            _ => {}
        }
        Ok((None, None))
    }

    /// Notes what the mock answered to a request noted by [`GroupBook::request`]. `body`
    /// is the response without its length prefix.
    pub fn response(&self, pending: Pending, version: i16, body: &Bytes) {
        if let Err(error) = self.learn(pending, version, body) {
            tracing::debug!("demo front: unreadable group response: {error:#}");
        }
    }

    fn learn(&self, pending: Pending, version: i16, body: &Bytes) -> anyhow::Result<()> {
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match pending {
            Pending::Join { group, member } => {
                let r: JoinGroupResponse = decode_response(body, version)?;
                if r.error_code != 0 {
                    return Ok(());
                }
                let protocol = r.protocol_name.as_ref().map(text).unwrap_or_default();
                let entry = groups.entry(group).or_default();
                entry.protocol_type = member.protocol_type;
                entry.protocol.clone_from(&protocol);
                entry.kip848 = false;
                // A new generation: every member is assigned again.
                for m in entry.members.values_mut() {
                    m.assignment = None;
                }
                entry.members.insert(
                    text(&r.member_id),
                    Member {
                        client_id: member.client_id,
                        host: member.host,
                        instance_id: member.instance_id,
                        session: member.session,
                        seen: Some(Instant::now()),
                        metadata: member.metadata.get(&protocol).cloned().unwrap_or_default(),
                        assignment: None,
                    },
                );
            }
            Pending::Sync { group, member_id } => {
                let r: SyncGroupResponse = decode_response(body, version)?;
                if r.error_code == 0
                    && let Some(m) = groups
                        .get_mut(&group)
                        .and_then(|g| g.members.get_mut(&member_id))
                {
                    m.assignment = Some(r.assignment);
                    m.seen = Some(Instant::now());
                }
            }
            Pending::ConsumerHeartbeat {
                group,
                client_id,
                host,
            } => {
                let r: ConsumerGroupHeartbeatResponse = decode_response(body, version)?;
                let Some(member_id) = r.member_id.as_ref().map(text).filter(|_| r.error_code == 0)
                else {
                    return Ok(());
                };
                let assignment = r.assignment.map(|a| {
                    let topics = self
                        .topics
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let owned: Vec<(String, Vec<i32>)> = a
                        .topic_partitions
                        .iter()
                        .filter_map(|tp| {
                            topics
                                .get(tp.topic_id.as_bytes())
                                .map(|name| (name.clone(), tp.partitions.clone()))
                        })
                        .collect();
                    consumer_protocol_assignment(&owned)
                });
                let entry = groups.entry(group).or_default();
                entry.kip848 = true;
                entry.protocol_type = "consumer".into();
                if entry.protocol.is_empty() {
                    entry.protocol = "uniform".into();
                }
                let member = entry.members.entry(member_id).or_default();
                member.client_id = client_id;
                member.host = host;
                member.session = CONSUMER_SESSION;
                member.seen = Some(Instant::now());
                if assignment.is_some() {
                    member.assignment = assignment;
                }
            }
            Pending::Metadata => {
                drop(groups);
                let r: MetadataResponse = decode_response(body, version)?;
                let mut topics = self
                    .topics
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for topic in &r.topics {
                    if let Some(name) = &topic.name {
                        topics.insert(*topic.topic_id.as_bytes(), text(&name.0));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A classic ConsumerProtocol assignment (version 0): topics with their partitions.
fn consumer_protocol_assignment(owned: &[(String, Vec<i32>)]) -> Bytes {
    let mut out = BytesMut::new();
    out.put_i16(0);
    out.put_i32(i32::try_from(owned.len()).unwrap_or(0));
    for (topic, partitions) in owned {
        out.put_i16(i16::try_from(topic.len()).unwrap_or(0));
        out.put_slice(topic.as_bytes());
        out.put_i32(i32::try_from(partitions.len()).unwrap_or(0));
        for p in partitions {
            out.put_i32(*p);
        }
    }
    out.put_i32(-1); // no user data
    out.freeze()
}
