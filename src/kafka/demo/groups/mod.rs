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
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{
    ApiKey, ConsumerGroupHeartbeatResponse, GroupId, JoinGroupResponse, MetadataResponse,
    OffsetCommitResponse, OffsetFetchRequest, ResponseHeader, SyncGroupResponse, TopicName,
};

use super::requests;

mod answers;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

/// The newest ListGroups and DescribeGroups versions the front answers.
pub const LIST_GROUPS_MAX: i16 = 5;
pub const DESCRIBE_GROUPS_MAX: i16 = 5;
/// Bounds on what the book keeps (a client can make up group ids, members and partitions
/// at will): past them, new entries are not recorded.
const MAX_GROUPS: usize = 10_000;
const MAX_MEMBERS: usize = 1_000;
const MAX_PARTITIONS: usize = 100_000;
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
    Commit {
        group: String,
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
    fn new(client_id: String, join: requests::Join, host: String) -> Self {
        Self {
            client_id,
            host,
            instance_id: join.instance_id,
            session: Duration::from_millis(u64::try_from(join.session_ms).unwrap_or(45_000)),
            protocol_type: join.protocol_type,
            metadata: join.protocols.into_iter().collect(),
        }
    }
}

/// An OffsetFetch for every topic (`topics` null), rewritten to name the topics the group
/// committed (the mock answers a null list with nothing); `None` when it names them. The
/// client's header is kept as it was sent.
fn every_topic_fetch(
    groups: &BTreeMap<String, Group>,
    h: &requests::Header<'_>,
    version: i16,
) -> anyhow::Result<Option<Bytes>> {
    let (group, every) = requests::offset_fetch(h)?;
    if !every {
        return Ok(None);
    }
    let committed = groups
        .get(&group)
        .map(|g| g.committed.clone())
        .unwrap_or_default();
    let request = OffsetFetchRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group)))
        .with_topics(Some(
            committed
                .into_iter()
                .map(|(topic, partitions)| {
                    OffsetFetchRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_string(topic)))
                        .with_partition_indexes(partitions.into_iter().collect())
                })
                .collect(),
        ));
    let mut out = BytesMut::new();
    out.put_u32(0);
    out.put_slice(h.raw);
    request.encode(&mut out, version)?;
    let length = u32::try_from(out.len() - 4).context("frame too large")?;
    out[..4].copy_from_slice(&length.to_be_bytes());
    Ok(Some(out.freeze()))
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

fn decode_response<M: Decodable + HeaderVersion>(body: &Bytes, version: i16) -> anyhow::Result<M> {
    let mut buf = body.clone();
    ResponseHeader::decode(&mut buf, M::header_version(version))?;
    M::decode(&mut buf, version)
}

impl GroupBook {
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
        if key == ApiKey::Metadata {
            return Ok((Some(Pending::Metadata), None));
        }
        if !matches!(
            key,
            ApiKey::JoinGroup
                | ApiKey::SyncGroup
                | ApiKey::Heartbeat
                | ApiKey::LeaveGroup
                | ApiKey::OffsetCommit
                | ApiKey::ConsumerGroupHeartbeat
                | ApiKey::OffsetFetch
        ) {
            return Ok((None, None));
        }
        let h = requests::header(frame, key, version)?;
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match key {
            ApiKey::JoinGroup => {
                let join = requests::join_group(&h, version)?;
                let group = join.group.clone();
                let member = Joining::new(h.client_id, join, host);
                return Ok((Some(Pending::Join { group, member }), None));
            }
            ApiKey::SyncGroup => {
                let (group, mut members) = requests::group_and_members(&h, key, version)?;
                let member_id = members.pop().unwrap_or_default();
                return Ok((Some(Pending::Sync { group, member_id }), None));
            }
            ApiKey::Heartbeat => {
                let (group, members) = requests::group_and_members(&h, key, version)?;
                if let Some(group) = groups.get_mut(&group) {
                    for member in members {
                        if let Some(m) = group.members.get_mut(&member) {
                            m.seen = Some(Instant::now());
                        }
                    }
                }
            }
            ApiKey::LeaveGroup => {
                let (group, members) = requests::group_and_members(&h, key, version)?;
                if let Some(group) = groups.get_mut(&group) {
                    for member in members {
                        group.members.remove(&member);
                    }
                }
            }
            ApiKey::OffsetCommit => {
                // What was committed is learnt from the answer: only what the mock took.
                let group = requests::Reader::new(h.body, h.flexible).text()?;
                return Ok((Some(Pending::Commit { group }), None));
            }
            ApiKey::ConsumerGroupHeartbeat => {
                let (name, member, epoch) = requests::consumer_heartbeat(&h)?;
                if epoch < 0 && !member.is_empty() {
                    if let Some(group) = groups.get_mut(&name) {
                        group.members.remove(&member);
                    }
                    return Ok((None, None));
                }
                let pending = Pending::ConsumerHeartbeat {
                    group: name,
                    client_id: h.client_id,
                    host,
                };
                return Ok((Some(pending), None));
            }
            ApiKey::OffsetFetch if (2..=7).contains(&version) => {
                return Ok((None, every_topic_fetch(&groups, &h, version)?));
            }
            _ => {}
        }
        Ok((None, None))
    }

    /// A KIP-848 heartbeat's answer: the member (and, named from Metadata, its assignment).
    fn heartbeated(
        &self,
        groups: &mut BTreeMap<String, Group>,
        group: String,
        client_id: String,
        host: String,
        version: i16,
        body: &Bytes,
    ) -> anyhow::Result<()> {
        let r: ConsumerGroupHeartbeatResponse = decode_response(body, version)?;
        let Some(member_id) = r.member_id.as_ref().map(text).filter(|_| r.error_code == 0) else {
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
        let Some(entry) = group_entry(groups, group) else {
            return Ok(());
        };
        if !entry.members.contains_key(&member_id) && entry.members.len() >= MAX_MEMBERS {
            return Ok(());
        }
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
        Ok(())
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
                joined(&mut groups, group, member, &r);
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
                self.heartbeated(&mut groups, group, client_id, host, version, body)?;
            }
            Pending::Commit { group } => {
                let r: OffsetCommitResponse = decode_response(body, version)?;
                let Some(entry) = group_entry(&mut groups, group) else {
                    return Ok(());
                };
                let mut count: usize = entry.committed.values().map(BTreeSet::len).sum();
                for topic in &r.topics {
                    for p in topic.partitions.iter().filter(|p| p.error_code == 0) {
                        if count >= MAX_PARTITIONS {
                            return Ok(());
                        }
                        let partitions = entry.committed.entry(text(&topic.name.0)).or_default();
                        if partitions.insert(p.partition_index) {
                            count += 1;
                        }
                    }
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

/// A member joined: the group (and its assignor) as the JoinGroup answer says.
fn joined(
    groups: &mut BTreeMap<String, Group>,
    group: String,
    member: Joining,
    r: &JoinGroupResponse,
) {
    if r.error_code != 0 {
        return;
    }
    let protocol = r.protocol_name.as_ref().map(text).unwrap_or_default();
    let Some(entry) = group_entry(groups, group) else {
        return;
    };
    let member_id = text(&r.member_id);
    if !entry.members.contains_key(&member_id) && entry.members.len() >= MAX_MEMBERS {
        return;
    }
    entry.protocol_type = member.protocol_type;
    entry.protocol.clone_from(&protocol);
    entry.kip848 = false;
    // A new generation: every member is assigned again.
    for m in entry.members.values_mut() {
        m.assignment = None;
    }
    entry.members.insert(
        member_id,
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

/// The group's entry, made if there is room for another.
fn group_entry(groups: &mut BTreeMap<String, Group>, name: String) -> Option<&mut Group> {
    if !groups.contains_key(&name) && groups.len() >= MAX_GROUPS {
        return None;
    }
    Some(groups.entry(name).or_default())
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
