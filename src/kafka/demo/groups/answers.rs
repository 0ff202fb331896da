//! ListGroups and DescribeGroups, answered from the book as a Kafka 4 broker answers them.

use std::time::Instant;

use bytes::Bytes;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    ApiKey, DescribeGroupsResponse, GroupId, ListGroupsResponse, ResponseHeader,
};
use kafka_protocol::protocol::{HeaderVersion, StrBytes};

use super::super::requests;
use super::super::wire;
use super::{DESCRIBE_GROUPS_MAX, GroupBook, LIST_GROUPS_MAX};

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
            let h = requests::header(frame, ApiKey::ListGroups, version)?;
            let (states, types) = requests::list_groups(&h, version)?;
            let response = self.list(&states, &types);
            let reply = ResponseHeader::default().with_correlation_id(h.correlation_id);
            return wire::frame(
                &reply,
                ListGroupsResponse::header_version(version),
                &response,
                version,
            )
            .map(Some);
        }
        if api_key == ApiKey::DescribeGroups as i16 && (0..=DESCRIBE_GROUPS_MAX).contains(&version)
        {
            let h = requests::header(frame, ApiKey::DescribeGroups, version)?;
            let ids = requests::describe_groups(&h)?;
            let response = self.describe(&ids);
            let reply = ResponseHeader::default().with_correlation_id(h.correlation_id);
            return wire::frame(
                &reply,
                DescribeGroupsResponse::header_version(version),
                &response,
                version,
            )
            .map(Some);
        }
        Ok(None)
    }

    fn list(&self, states: &[String], types: &[String]) -> ListGroupsResponse {
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
                let wanted = (states.is_empty()
                    || states.iter().any(|s| s.eq_ignore_ascii_case(state)))
                    && (types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(kind)));
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

    fn describe(&self, ids: &[String]) -> DescribeGroupsResponse {
        let now = Instant::now();
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let described = ids
            .iter()
            .map(|name| {
                let id = GroupId(StrBytes::from_string(name.clone()));
                let Some(group) = groups.get_mut(name) else {
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
                    .with_group_id(id)
                    .with_group_state(StrBytes::from_static_str(group.state()))
                    .with_protocol_type(StrBytes::from_string(group.protocol_type.clone()))
                    .with_protocol_data(StrBytes::from_string(group.protocol.clone()))
                    .with_members(members)
            })
            .collect();
        DescribeGroupsResponse::default().with_groups(described)
    }
}
