//! The front's protocol changes, on whole frames.
use super::*;
use kafka_protocol::messages::metadata_response::MetadataResponseBroker;

fn table() -> ApiTable {
    let key = |k: ApiKey, min, max| {
        ApiVersion::default()
            .with_api_key(k as i16)
            .with_min_version(min)
            .with_max_version(max)
    };
    ApiTable::from_mock(vec![
        key(ApiKey::Produce, 0, 10),
        key(ApiKey::Metadata, 0, 12),
        key(ApiKey::ApiVersions, 0, 2),
    ])
}

fn request(api_key: ApiKey, version: i16, correlation_id: i32, body: &[u8]) -> Vec<u8> {
    let header = RequestHeader::default()
        .with_request_api_key(api_key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("test")));
    let mut out = BytesMut::new();
    header
        .encode(&mut out, api_key.request_header_version(version))
        .unwrap();
    out.put_slice(body);
    out.to_vec()
}

fn answer(frame: &[u8]) -> Bytes {
    match inbound(frame, &table()).unwrap() {
        Inbound::Answer(bytes) => bytes,
        other => panic!("{other:?}"),
    }
}

#[test]
fn api_versions_v4_is_answered_with_the_table_and_apiversions_0_to_4() {
    let mut frame = answer(&request(ApiKey::ApiVersions, 4, 9, &[2, b'x', 2, b'1', 0]));
    assert_eq!(frame.get_u32() as usize, frame.remaining());
    assert_eq!(
        ResponseHeader::decode(&mut frame, 0)
            .unwrap()
            .correlation_id,
        9
    );
    let response = ApiVersionsResponse::decode(&mut frame, 4).unwrap();
    assert_eq!(response.error_code, 0);
    let table = ApiTable(response.api_keys);
    assert_eq!(table.range(ApiKey::ApiVersions as i16), Some((0, 4)));
    assert_eq!(table.range(ApiKey::Metadata as i16), Some((0, 12)));
    assert!(!frame.has_remaining());
}

#[test]
fn api_versions_v0_is_answered_in_its_own_shape() {
    let mut frame = answer(&request(ApiKey::ApiVersions, 0, 1, &[]));
    frame.advance(4);
    ResponseHeader::decode(&mut frame, 0).unwrap();
    let response = ApiVersionsResponse::decode(&mut frame, 0).unwrap();
    // The mock's two, ApiVersions, and the group APIs the front answers itself.
    assert_eq!(response.api_keys.len(), 5);
    assert!(!frame.has_remaining());
}

#[test]
fn a_newer_api_versions_gets_unsupported_version_in_the_v0_shape() {
    let mut frame = answer(&request(ApiKey::ApiVersions, 7, 3, &[0]));
    frame.advance(4);
    assert_eq!(
        ResponseHeader::decode(&mut frame, 0)
            .unwrap()
            .correlation_id,
        3
    );
    let response = ApiVersionsResponse::decode(&mut frame, 0).unwrap();
    assert_eq!(response.error_code, UNSUPPORTED_VERSION);
    assert_eq!(
        ApiTable(response.api_keys).range(ApiKey::ApiVersions as i16),
        Some((0, 4))
    );
    assert!(!frame.has_remaining());
}

#[test]
fn produce_with_acks_zero_expects_no_response_in_every_header_shape() {
    // v2: acks first; v3..8: nullable string then acks; v9+: compact string.
    let cases: [(i16, Vec<u8>); 3] = [
        (2, vec![0, 0]),
        (7, vec![0xff, 0xff, 0, 0]),
        (9, vec![4, b't', b'x', b'n', 0, 0]),
    ];
    for (version, body) in cases {
        let frame = request(ApiKey::Produce, version, 5, &body);
        assert_eq!(
            inbound(&frame, &table()).unwrap(),
            Inbound::ForwardUnanswered { correlation_id: 5 },
            "v{version}"
        );
        let mut acked = body.clone();
        let at = acked.len() - 1;
        acked[at] = 1;
        let frame = request(ApiKey::Produce, version, 5, &acked);
        assert_eq!(
            inbound(&frame, &table()).unwrap(),
            Inbound::Forward {
                api_key: 0,
                version
            },
            "v{version}"
        );
    }
}

#[test]
fn metadata_brokers_are_routed_through_the_front_in_every_version() {
    let routes = Routes(HashMap::from([(40001, ("127.0.0.1".to_string(), 9092))]));
    for version in 0..=12 {
        let response = MetadataResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(1.into())
                    .with_host(StrBytes::from_static_str("127.0.0.1"))
                    .with_port(40001),
                MetadataResponseBroker::default()
                    .with_node_id(2.into())
                    .with_host(StrBytes::from_static_str("127.0.0.1"))
                    .with_port(40002),
            ])
            .with_controller_id(0.into());
        let header = ResponseHeader::default().with_correlation_id(77);
        let header_version = MetadataResponse::header_version(version);
        let mut body = frame(&header, header_version, &response, version).unwrap();
        body.advance(4);
        let mut out = outbound(ApiKey::Metadata as i16, version, body, &routes).unwrap();
        assert_eq!(out.get_u32() as usize, out.remaining());
        let header = ResponseHeader::decode(&mut out, header_version).unwrap();
        assert_eq!(header.correlation_id, 77);
        let decoded = MetadataResponse::decode(&mut out, version).unwrap();
        let ports: Vec<i32> = decoded.brokers.iter().map(|b| b.port).collect();
        assert_eq!(ports, [9092, 40002], "v{version}");
        if version >= 1 {
            assert_eq!(decoded.controller_id, 1, "an existing broker, v{version}");
        }
        assert!(!out.has_remaining(), "v{version}");
    }
}

#[test]
fn other_responses_pass_byte_for_byte() {
    let body = Bytes::from_static(b"\0\0\0\x07anything at all");
    let out = outbound(ApiKey::Fetch as i16, 11, body.clone(), &Routes::default()).unwrap();
    assert_eq!(&out[4..], &body[..]);
    assert_eq!(&out[..4], &(body.len() as u32).to_be_bytes());
}

#[test]
fn a_short_request_is_an_error_and_a_garbled_produce_is_relayed_not_a_panic() {
    assert!(inbound(&[0, 1], &table()).is_err());
    let mut frame = request(ApiKey::Produce, 7, 5, &[]);
    frame.push(0);
    assert_eq!(
        inbound(&frame, &table()).unwrap(),
        Inbound::Forward {
            api_key: 0,
            version: 7
        }
    );
}

#[test]
fn acks_are_found_after_a_long_client_id() {
    let header = RequestHeader::default()
        .with_request_api_key(ApiKey::Produce as i16)
        .with_request_api_version(7)
        .with_correlation_id(9)
        .with_client_id(Some(StrBytes::from_string("c".repeat(3000))));
    let mut frame = BytesMut::new();
    header.encode(&mut frame, 1).unwrap();
    frame.put_slice(&[0xff, 0xff, 0, 0]);
    assert_eq!(
        inbound(&frame, &table()).unwrap(),
        Inbound::ForwardUnanswered { correlation_id: 9 }
    );
}

#[test]
fn produce_and_fetch_stop_below_the_versions_that_name_leader_endpoints() {
    let key = |k: ApiKey, max| {
        ApiVersion::default()
            .with_api_key(k as i16)
            .with_max_version(max)
    };
    let table = ApiTable::from_mock(vec![key(ApiKey::Produce, 10), key(ApiKey::Fetch, 16)]);
    assert_eq!(table.range(ApiKey::Produce as i16), Some((0, 9)));
    assert_eq!(table.range(ApiKey::Fetch as i16), Some((0, 15)));
}
