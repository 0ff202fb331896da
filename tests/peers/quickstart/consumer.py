from kafka import KafkaConsumer

consumer = KafkaConsumer('sample',
                         bootstrap_servers='localhost:9092',
                         group_id='quickstart-group',
                         auto_offset_reset='earliest')
for message in consumer:
    print(message)
