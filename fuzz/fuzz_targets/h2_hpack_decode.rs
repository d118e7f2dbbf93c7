//! Fuzzes the HPACK decoder: no panic on any input; a block cut in two decodes on one
//! decoder (dynamic table kept between blocks) and output stays within the header list cap.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_http::h2::hpack::Decoder;

const CAP: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let table = usize::from(control) * 32;
    let mut decoder = Decoder::new(table).with_max_header_list_size(CAP);
    let at = rest.len() / 2;
    for block in [&rest[..at], &rest[at..]] {
        match decoder.decode(block) {
            Ok(fields) => {
                let size: usize = fields
                    .iter()
                    .map(|f| f.name.len() + f.value.len() + 32)
                    .sum();
                if size > CAP {
                    panic!("decoded {size} bytes over the {CAP} cap");
                }
                if decoder.table_size() > table {
                    panic!("table {} over its maximum {table}", decoder.table_size());
                }
            }
            Err(_) => return,
        }
    }
});
