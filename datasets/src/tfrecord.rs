//! TFRecord files as TensorFlow writes them (`tf.io.TFRecordWriter`; the format of
//! NAS-Bench-101's `nasbench_only108.tfrecord` and `nasbench_full.tfrecord`), read without
//! TensorFlow: each record is its length (u64, little-endian), the masked CRC-32C of those 8
//! bytes, the data, and the masked CRC-32C of the data. Both checksums are verified, so a
//! truncated or corrupt file is an error naming the record, never a wrong row.

use std::io::{ErrorKind, Read};

/// TensorFlow's checksum mask (`crc32c::Mask` in tensorflow/core/lib/hash/crc32c.h).
pub fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// The records of a TFRecord stream, in order.
pub struct Records<R> {
    reader: R,
    /// The index of the next record.
    index: u64,
    /// Bytes read so far.
    offset: u64,
    /// Where the record being read starts, for messages.
    start: u64,
    /// The largest record accepted (a corrupt length must not allocate gigabytes).
    max_len: u64,
}

impl<R: Read> Records<R> {
    pub fn new(reader: R, max_len: u64) -> Records<R> {
        Records {
            reader,
            index: 0,
            offset: 0,
            start: 0,
            max_len,
        }
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), String> {
        self.reader.read_exact(buf).map_err(|e| match e.kind() {
            ErrorKind::UnexpectedEof => format!(
                "record {} at byte {}: truncated in its {what}",
                self.index, self.start
            ),
            _ => format!("record {} at byte {}: {e}", self.index, self.start),
        })?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// The next record, `None` at the end of the stream.
    fn next_record(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut header = [0u8; 12];
        let start = self.offset;
        self.start = start;
        // The end of the file may only fall between records.
        let first = loop {
            match self.reader.read(&mut header[..1]) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("record {} at byte {start}: {e}", self.index)),
            }
        };
        if first == 0 {
            return Ok(None);
        }
        self.offset += 1;
        self.read_exact(&mut header[1..], "header")?;
        let (len_bytes, len_crc) = header.split_at(8);
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let index = self.index;
        let bad = move |what: &str| format!("record {index} at byte {start}: {what}");
        if masked_crc(len_bytes) != u32::from_le_bytes(len_crc.try_into().expect("4 bytes")) {
            return Err(bad(
                "its length's checksum does not match (not a TFRecord, or corrupt)",
            ));
        }
        if len > self.max_len {
            return Err(bad(&format!(
                "its length {len} exceeds {} bytes",
                self.max_len
            )));
        }
        let mut data = vec![0u8; len as usize];
        self.read_exact(&mut data, "data")?;
        let mut crc = [0u8; 4];
        self.read_exact(&mut crc, "data checksum")?;
        if masked_crc(&data) != u32::from_le_bytes(crc) {
            return Err(bad("its data's checksum does not match (corrupt)"));
        }
        self.index += 1;
        Ok(Some(data))
    }
}

impl<R: Read> Iterator for Records<R> {
    type Item = Result<Vec<u8>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// One record as a TFRecord file holds it (what `tf.io.TFRecordWriter.write` appends).
pub fn frame(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_and_the_mask_are_tensorflows() {
        // CRC-32C check value (RFC 3720 B.4) and TensorFlow's mask of it.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(
            masked_crc(b"123456789"),
            0xe306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8)
        );
    }

    #[test]
    fn records_round_trip_and_damage_is_named() {
        let mut file = frame(b"first");
        file.extend(frame(b""));
        file.extend(frame(b"third record"));
        let read: Vec<Vec<u8>> = Records::new(&file[..], 1 << 20)
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            read,
            [b"first".to_vec(), Vec::new(), b"third record".to_vec()]
        );

        let truncated = &file[..file.len() - 3];
        let e = Records::new(truncated, 1 << 20)
            .find_map(Result::err)
            .unwrap();
        assert_eq!(e, "record 2 at byte 37: truncated in its data checksum");
        let mut flipped = file.clone();
        flipped[14] ^= 1;
        let e = Records::new(&flipped[..], 1 << 20)
            .find_map(Result::err)
            .unwrap();
        assert!(
            e.starts_with("record 0 at byte 0: its data's checksum"),
            "{e}"
        );
        let e = Records::new(&b"not a tfrecord file"[..], 1 << 20)
            .find_map(Result::err)
            .unwrap();
        assert!(e.contains("not a TFRecord"), "{e}");
        let e = Records::new(&file[..], 4).find_map(Result::err).unwrap();
        assert!(e.contains("exceeds 4 bytes"), "{e}");
    }
}
