use marshal_core::marshal::Marshal;

// The CLR refuses an object reference sharing bytes with another field (TypeLoadException).
#[derive(Marshal)]
#[marshal(layout = explicit)]
struct U {
    #[marshal(offset = 0)]
    #[marshal(as = lpwstr)]
    s: String,
    #[marshal(offset = 4)]
    i: i32,
}

fn main() {}
