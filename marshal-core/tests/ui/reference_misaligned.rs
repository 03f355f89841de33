use marshal_core::marshal::Marshal;

// A reference field's explicit offset must be pointer-aligned (TypeLoadException).
#[derive(Marshal)]
#[marshal(layout = explicit)]
struct U {
    #[marshal(offset = 0)]
    a: u8,
    #[marshal(offset = 1)]
    #[marshal(as = bstr)]
    s: Option<String>,
}

fn main() {}
